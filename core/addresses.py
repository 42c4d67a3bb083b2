"""Network addresses from settings and flags: read strictly (a `ValueError` says what is wrong), and told
apart as this machine or another one."""

import ipaddress
from urllib.parse import urlsplit

OLLAMA_PORT = 11434
OLLAMA_EXAMPLE = f"http://127.0.0.1:{OLLAMA_PORT}"


def http_url(text: str, default_port: int | None = None, default_host: str | None = None) -> str:
    """`text` as an http(s) URL without a trailing slash. A bare `host[:port]` gets `http://` and, if it
    names no port, `default_port`; an empty host becomes `default_host` (else it is an error)."""
    url = text.strip().rstrip("/")
    if not url:
        raise ValueError("it is empty")
    if any(c.isspace() for c in url):
        raise ValueError("it contains a space")
    bare = "://" not in url
    if bare:
        url = f"http://{url}"
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise ValueError(_sentence(str(exc))) from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"use http:// or https://, not {parts.scheme}://")
    host, port = _host_and_port(parts.netloc)
    if not parts.hostname:
        if default_host is None:
            raise ValueError("it names no host")
        host = default_host
    if port is None and bare and default_port is not None:
        port = default_port
    netloc = f"{host}:{port}" if port is not None else host
    if "@" in parts.netloc:
        netloc = f"{parts.netloc.rpartition('@')[0]}@{netloc}"
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


def ollama_url(host: str) -> str:
    """An Ollama address as the URL to call, read the way Ollama reads `OLLAMA_HOST`: a bare `host[:port]`
    is http on port 11434, and no host at all is 127.0.0.1."""
    return http_url(host, default_port=OLLAMA_PORT, default_host="127.0.0.1")


def url_host(url: str) -> str:
    """The host part of a URL that `http_url` accepted ('' if it has none)."""
    return urlsplit(url).hostname or ""


def is_loopback(host: str) -> bool:
    """True for `localhost` and the loopback addresses (127.0.0.0/8, ::1), which only this machine can reach.
    A server bound anywhere else - 0.0.0.0 included - can be reached from the network."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def reaches_this_machine(host: str) -> bool:
    """True when connecting to `host` stays on this machine: a loopback host, or the unspecified address
    (0.0.0.0, ::), which a client connection reaches this machine through."""
    if is_loopback(host):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_unspecified
    except ValueError:
        return False


def _host_and_port(netloc: str) -> tuple[str, int | None]:
    """The host (IPv6 in brackets) and the port of `netloc`; a bad port is a ValueError saying why."""
    hostport = netloc.rpartition("@")[2]
    host, colon, port_text = hostport.rpartition(":")
    if not colon or (host.startswith("[") and not host.endswith("]")) or hostport.endswith("]"):
        return hostport, None  # no port (a colon inside an IPv6 address is not one)
    if not port_text:
        return host, None
    if not port_text.isdigit():
        raise ValueError(f"the port {port_text!r} is not a number")
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError(f"the port {port} is out of range (1-65535)")
    return host, port


def _sentence(text: str) -> str:
    return text[:1].lower() + text[1:]
