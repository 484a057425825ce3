"""The server's own address: the base of every absolute link, never taken from a request.

ORGANISE_PUBLIC_URL when it is set (or ORGANISE_ONION_URL, for a request sent to the onion
service); otherwise the address the server is bound to (the loopback default, unless `--host`
says otherwise). Which `Host` is answered at all is `organise/web/hosts.py`'s business.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

from organise.runtime import runtime
from organise.settings import Settings
from organise.web.languages import BASE_PATH, link_root

DEFAULT_PORTS = {"http": 80, "https": 443}
# What `organise serve` listens on unless told otherwise; used when the connection has no
# address of its own (a Unix socket).
LOOPBACK_DEFAULT = "http://127.0.0.1:8000"


def scheme_and_netloc(origin: str) -> tuple[str, str]:
    scheme, _sep, netloc = origin.partition("://")
    return scheme, netloc


def _host_values(origin: str) -> set[str]:
    """The `Host` headers that mean `origin`: its netloc, with or without the default port."""
    scheme, netloc = scheme_and_netloc(origin)
    if netloc.endswith("]") or ":" not in netloc:
        return {netloc, f"{netloc}:{DEFAULT_PORTS[scheme]}"}
    return {netloc}


def bound_address(scope: Scope) -> str:
    """The address the server is bound to (the connection's local end), as an origin."""
    scheme = scope.get("scheme", "http")
    server = scope.get("server")
    if not server or scheme not in DEFAULT_PORTS or str(server[0]).startswith("/"):
        return LOOPBACK_DEFAULT  # a Unix socket, or a scope without its server
    host = str(server[0]).lower()
    port = DEFAULT_PORTS[scheme] if server[1] is None else int(server[1])
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + ("" if port == DEFAULT_PORTS[scheme] else f":{port}")


def configured_origin(settings: Settings, scope: Scope) -> str | None:
    """The configured address this request was sent to (public or onion), or None if neither.

    Only ever one of the settings' own values: the header is compared, never repeated.
    """
    hosts = Headers(scope=scope).getlist("host")
    if len(hosts) != 1:
        return None
    host = hosts[0].strip().lower()
    for origin in (settings.onion_url, settings.public_url):
        if origin is not None and host in _host_values(origin):
            return origin
    return None


def base_for(settings: Settings, scope: Scope) -> str:
    """The public base URL (no trailing slash) for links made while answering `scope`.

    ORGANISE_PUBLIC_URL when set (the onion address for a request sent to the onion service);
    otherwise the address the server is bound to.
    """
    if settings.public_url is None:
        return bound_address(scope)
    return configured_origin(settings, scope) or settings.public_url


def public_base(request: Request) -> str:
    """The public base URL, for every absolute link: invite slips, share links, redirects, API."""
    return base_for(runtime(request).settings, request.scope)


def fallback_address(request: Request) -> str | None:
    """The address links carry while ORGANISE_PUBLIC_URL is not set; None once it is."""
    if runtime(request).settings.public_url is not None:
        return None
    return public_base(request)


def path_for(request: Request, name: str, /, **path_params: object) -> str:
    """The path of a named route (what the templates' `url_for` gives: a relative link)."""
    provider = request.scope.get("router") or request.scope.get("app")
    if provider is None:
        raise RuntimeError("path_for needs a request routed by the app")
    path = str(provider.url_path_for(name, **path_params))
    # Inside a Mount, root_path is the mount's; the app's own stays in app_root_path, with the
    # language prefix when there is one (kept only on links to other worker pages).
    return link_root(request.scope, name) + path


def absolute_url(request: Request, name: str, /, **path_params: object) -> str:
    """The full address of a named route, on the public base URL."""
    return public_base(request) + path_for(request, name, **path_params)


def printed_urls(request: Request, name: str, /, **path_params: object) -> list[str]:
    """The addresses of a named route to print or hand on: the public one, then the onion one.

    Paper outlives the page it was printed from: it carries ORGANISE_PUBLIC_URL even when the
    organiser printing it came through the onion service.
    """
    settings = runtime(request).settings
    # Without the language prefix: a receipt written down with "/ar/" in it would tell whoever
    # finds it which language its holder reads. The page there has the language menu.
    path = path_for(request, name, **path_params)
    language_root = link_root(request.scope, name)
    base_root = str(request.scope.get(BASE_PATH, language_root))
    path = base_root + path.removeprefix(language_root)
    bases = [settings.public_url or public_base(request)]
    if settings.onion_url is not None:
        bases.append(settings.onion_url)
    return [base + path for base in bases]
