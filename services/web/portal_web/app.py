"""The web service: Flask app, its pages and `python -m portal_web [serve|migrate]`."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta
from typing import Any

from flask import Flask, Response, g, redirect, render_template, request, url_for
from flask_babel import Babel
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException

from portal_common import mongo, pages
from portal_common.config import ConfigError
from portal_common.http import create_base_app
from portal_common.logs import configure_logging
from portal_common.runtime import ServiceRuntime, periodic
from portal_common.service import database_failed
from portal_web import browser, i18n, sessions, template_filters
from portal_web.api import Api, ApiError, ServiceUnavailable, SignedOut
from portal_web.config import WebConfig
from portal_web.context import CONTEXT, Context
from portal_web.views import account, auth, colleagues, documents, families, history, home, preferences, statements

log = logging.getLogger(__name__)
NAME = "web"
LANGUAGE_COOKIE = pages.LANGUAGE_COOKIE
BLUEPRINTS = (
    auth.bp,
    home.bp,
    account.bp,
    statements.bp,
    documents.bp,
    history.bp,
    preferences.bp,
    families.bp,
    colleagues.bp,
)
ERROR_TITLES = {
    400: _l("Demande incomplète"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Action impossible ici"),
    413: _l("Fichier trop volumineux"),
    500: _l("Une erreur est survenue"),
    503: _l("Service momentanément indisponible"),
}
ERROR_TEXTS = {
    400: _l("La demande est incomplète. Revenez à la page précédente et réessayez."),
    403: _l("Votre profil ne permet pas d'ouvrir cette page."),
    404: _l("Cette page n'existe pas ou n'existe plus."),
    405: _l("Cette action n'est pas possible depuis cette adresse."),
    413: _l("Le fichier envoyé dépasse la taille autorisée."),
    500: _l("Une erreur inattendue est survenue. Réessayez dans quelques instants."),
    503: _l(
        "Une partie du portail ne répond pas pour le moment. Réessayez dans quelques instants ; rien n'a été perdu."
    ),
}
CSRF_TEXT = _l(
    "Ce formulaire a expiré ou n'a pas été envoyé depuis le portail. Rechargez la page et recommencez : "
    "rien n'a été modifié."
)


def build(config: WebConfig) -> Context:
    db = mongo.connect(config.mongo_uri, config.mongo_db, app_name=NAME)
    mongo.ensure_indexes(db, sessions.INDEXES)
    store = sessions.SessionStore(
        db, idle=timedelta(minutes=config.session_idle_minutes), max_age=timedelta(hours=config.session_max_hours)
    )
    urls = {
        "identity": config.identity_url,
        "billing-statement": config.billing_url,
        "document-store": config.documents_url,
        "notification": config.notification_url,
    }
    return Context(config, db, store, Api(urls, timeout_s=config.api_timeout_seconds, pool_size=config.http_threads))


def page_language() -> str:
    """French unless the person chose English (the footer's link) or, before any choice, its browser prefers it."""
    return pages.language()


def error_page(status: int, text: str | None = None) -> Response:
    html = render_template(
        "error.html", title=ERROR_TITLES.get(status, ERROR_TITLES[500]), text=text or ERROR_TEXTS.get(status, "")
    )
    return Response(html, status=status, mimetype="text/html")


def create_app(context: Context) -> Flask:
    app = create_base_app(
        NAME,
        max_request_bytes=context.config.max_upload_bytes + 64 * 1024,  # the file and its form fields
        readiness={"mongodb": lambda: mongo.ping(context.db)},
        trusted_proxy_hops=context.config.trusted_proxy_hops,
        import_name="portal_web",
    )
    app.extensions[CONTEXT] = context
    Babel(app, locale_selector=page_language)
    template_filters.register(app)
    # A global, not a context variable: the form macros are imported without the page's context.
    app.jinja_env.globals["csrf_token"] = lambda: browser.browser().csrf_token
    app.before_request(browser.load)
    app.before_request(browser.check_csrf)
    app.after_request(browser.finish)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        session = g.get("browser")
        return {
            "session": session,
            "account": session.account if session is not None and session.signed_in else None,
            "flashes": browser.take_flashes,
            "lang": page_language(),
            **i18n.page_callables(),
        }

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 400 and error.description == "csrf":
            return error_page(400, CSRF_TEXT)
        return error_page(status)

    @app.errorhandler(SignedOut)
    def on_signed_out(ended: SignedOut) -> Any:
        browser.end()
        browser.flash(_("Votre session a pris fin (déconnexion ailleurs ou mot de passe changé). Reconnectez-vous."))
        return redirect(url_for("auth.sign_in"))

    @app.errorhandler(ApiError)
    def on_refused(error: ApiError) -> Response:
        # A refusal no page expected (the thing is gone, or not this user's): the service's words, not a 500.
        return error_page(error.status if error.status in ERROR_TITLES else 400, error.message)

    @app.errorhandler(ServiceUnavailable)
    def on_unavailable(error: ServiceUnavailable) -> Response:
        return error_page(503)

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_page(500)

    @app.get("/langue/<any(fr, en):code>")
    def language(code: str) -> Any:
        """The language the person chose, kept for a year in this browser; then back to the page it was on."""
        response = redirect(browser.local_path(request.args.get("suite")))
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, secure=context.config.secure_cookies, samesite="Lax"
        )
        return response

    @app.get("/sw.js")
    def push_worker() -> Response:
        # At the root: a worker's scope is its own path, and this one serves the whole portal.
        return app.send_static_file("sw.js")  # not cached (browser.finish): a new version is taken at once

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def runtime(context: Context) -> ServiceRuntime:
    return ServiceRuntime(
        name=NAME,
        wsgi_app=create_app(context),
        grpc=None,
        http_host=context.config.http_host,
        http_port=context.config.http_port,
        http_threads=context.config.http_threads,
        workers={"session-purge": periodic(context.store.purge_expired, 300)},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal-web")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve the pages (the default)")
    sub.add_parser("migrate", help="create the indexes and exit")
    args = parser.parse_args(argv)
    try:
        config = WebConfig.from_env()
    except ConfigError as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return 2
    configure_logging(NAME, config.log_level)
    try:
        context = build(config)
    except PyMongoError as exc:
        return database_failed(NAME, config.mongo_uri, config.mongo_db, exc)
    if args.command == "migrate":
        print("indexes ready")
        return 0
    runtime(context).serve_forever()
    return 0
