"""The citewise web UI (`citewise ui`): Ask, Documents, Evals and Status pages over the library."""

import streamlit as st

from citewise.core.settings import SettingsError, get_settings
from citewise.ui.bases import base_sidebar
from citewise.ui.render import CSS, notice_html

st.set_page_config(page_title="citewise", page_icon=":material/format_quote:", layout="wide")
st.html(CSS)
try:
    get_settings()
except SettingsError as exc:  # the line `citewise` prints, in place of a traceback on every page
    st.title("citewise cannot start")
    st.html(notice_html("error", str(exc)))
    st.caption("Settings are read once, when `citewise ui` starts: fix the variable, then start it again.")
    st.stop()

page = st.navigation(
    [
        st.Page("views/ask.py", title="Ask", icon=":material/chat:", default=True),
        st.Page("views/documents.py", title="Documents", icon=":material/folder_open:"),
        st.Page("views/evals.py", title="Evals", icon=":material/leaderboard:"),
        st.Page("views/status.py", title="Status", icon=":material/monitor_heart:"),
    ]
)
st.sidebar.caption("citewise answers from your documents and cites a passage for every sentence.")
base_sidebar()
page.run()
