"""The Streamlit pages (each runs as a script under `citewise ui`)."""
