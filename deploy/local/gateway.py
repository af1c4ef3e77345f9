"""Writes the local nginx gateway's configuration from the chart's values (one source of truth for routing).

python -m deploy.local.gateway <layout> <run dir>  -> prints the nginx.conf path (ports: deploy/local/topology.py)
"""

from __future__ import annotations

import json
import os
import pwd
import sys
from pathlib import Path

import yaml

from deploy.local.topology import LAYOUTS, services

ROOT = Path(__file__).resolve().parents[2]


def routes() -> dict[str, list[str]]:
    values = yaml.safe_load((ROOT / "charts" / "portal" / "values.yaml").read_text())
    return {name: svc["ingressPaths"] for name, svc in values["services"].items()}


# The gateway's own errors answer like the services do: problem+json with a French title.
GATEWAY_PROBLEMS = {
    400: ("bad-request", "Requête invalide", "La passerelle n’a pas pu lire cette requête."),
    404: ("not-found", "Ressource introuvable", "Aucune ressource ne correspond à cette adresse."),
    405: ("method-not-allowed", "Méthode non autorisée", "Cette méthode n’est pas acceptée."),
    413: ("payload-too-large", "Contenu trop volumineux", "La requête dépasse la taille acceptée par la passerelle."),
    414: ("uri-too-long", "Adresse trop longue", "L’adresse de la requête dépasse la longueur acceptée."),
    502: ("unavailable", "Service momentanément indisponible", "Le service ne répond pas ; réessayez plus tard."),
    504: ("unavailable", "Service momentanément indisponible", "Le service a mis trop de temps à répondre."),
}


# The web service's page for an upload the gateway refused as too large (GET, status 413 kept).
WEB_TOO_LARGE = "/mes-documents/envoyer/trop-volumineux"


def problem(status: int) -> str:
    """The body, for a single-quoted nginx string (typographic apostrophes only)."""
    slug, title, detail = GATEWAY_PROBLEMS[status]
    body = {"type": f"https://portail-famille.example/problems/{slug}", "title": title, "status": status}
    text = json.dumps({**body, "detail": detail}, ensure_ascii=False)
    assert "'" not in text, "use ’ in gateway messages"
    return text


def error_pages() -> str:
    # URI targets, not named locations: nginx cannot redirect a request it could not parse (414, 400)
    # to a named location.
    pages = []
    for status in GATEWAY_PROBLEMS:
        pages.append(f"    error_page {status} /_gateway/{status};")
        pages.append(
            f"    location = /_gateway/{status} {{\n"
            "      internal;\n"
            "      default_type application/problem+json;\n"
            f"      return {status} '{problem(status)}';\n"
            "    }"
        )
    pages.append("    error_page 494 /_gateway/400;  # nginx's own code for oversized request headers")
    return "\n".join(pages)


def pages_errors() -> str:
    """Under `/` (the web pages) a file beyond the body limit gets the upload form again, its message next to
    the file field, instead of a problem+json a browser would show raw. A location's own error_page replaces
    all the server's, so the others are repeated."""
    lines = [f"      error_page {status} /_gateway/{status};" for status in GATEWAY_PROBLEMS if status != 413]
    return "\n".join([*lines, f"      error_page 413 {WEB_TOO_LARGE};\n"])


def too_large_page(port: int) -> str:
    # Reached by an internal redirect that keeps the refused request's headers: without its body, which
    # nginx discarded, and without a Content-Length that would keep the service waiting for it.
    return (
        f"    location = {WEB_TOO_LARGE} {{\n"
        f"      proxy_pass http://127.0.0.1:{port};\n"
        "      proxy_pass_request_body off;\n"
        '      proxy_set_header Content-Length "";\n'
        '      proxy_set_header Content-Type "";\n'
        "      proxy_set_header Host $host;\n"
        "      proxy_set_header X-Request-ID $request_id;\n"
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "    }"
    )


def render(listen: int, run_dir: Path, ports: dict[str, int]) -> str:
    locations = []
    for name, paths in routes().items():
        for path in paths:
            locations.append(
                f"    location {path} {{\n"
                f"      proxy_pass http://127.0.0.1:{ports[name]};\n"
                "      proxy_set_header Host $host;\n"
                "      proxy_set_header X-Request-ID $request_id;\n"
                "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                "      proxy_request_buffering off;\n"
                "      proxy_buffering off;\n" + (pages_errors() if path == "/" else "") + "    }"
            )
            if path == "/":
                locations.append(too_large_page(ports[name]))
    # Started as root (CI), nginx would run its workers as `nobody`, who cannot enter the run directory
    # under root's home: this loopback-only development gateway keeps the invoking user.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    # Anything no service claims is a 404 problem, unless a service (the web pages) serves `/`.
    fallback = (
        "" if any("/" in paths for paths in routes().values()) else "    location / {\n      return 404;\n    }\n"
    )
    return f"""# Generated by deploy/local/gateway.py from charts/portal/values.yaml: do not edit.
{user}worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
  # The combined format, how long each request took here (rt) and at the service (urt), in seconds, and the
  # request id the services log too (rid).
  log_format timed '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                   '"$http_referer" "$http_user_agent" rt=$request_time urt=$upstream_response_time rid=$request_id';
  access_log {run_dir}/access.log timed;
  client_body_temp_path {run_dir}/body;
  proxy_temp_path {run_dir}/proxy;
  fastcgi_temp_path {run_dir}/fastcgi;
  uwsgi_temp_path {run_dir}/uwsgi;
  scgi_temp_path {run_dir}/scgi;
  client_max_body_size 12m;
  server {{
    listen 127.0.0.1:{listen};
{chr(10).join(locations)}
{error_pages()}
{fallback}  }}
}}
"""


def main() -> None:
    layout, run_dir = LAYOUTS[sys.argv[1]], Path(sys.argv[2])
    ports = {name: layout.http_port(name) for name in services()}
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "nginx.conf"
    config.write_text(render(layout.gateway_port, run_dir, ports))
    (run_dir / "url").write_text(layout.gateway_url + "\n")
    print(config)


if __name__ == "__main__":
    main()
