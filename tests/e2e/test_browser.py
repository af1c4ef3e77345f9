"""A family and the portal's pages in a real headless Chromium, through the gateway, every service real: the
activation link of the email, signing in, Mon compte, the password, where it is signed in, signing out; with
axe-core's scan, the 320 px check and the screenshots of every page on the way. Runs in order."""

from __future__ import annotations

import base64
import html
import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.support.browser import Browser
from tests.support.env import MAILDIR
from tests.support.sinks import SmtpSink, part_of
from tests.support.wait import wait_for
from tests.support.webpush import BrowserKeys, unb64url

pytestmark = pytest.mark.slow
RUN = uuid.uuid4().hex[:6]
STRUCTURE = f"creche-{RUN}"
AGENT_LOGIN = f"agent.{RUN}@creche.fr"
FAMILY_LOGIN = f"famille.{RUN}@example.fr"
PASSWORD = "une phrase de passe solide"
NEW_PASSWORD = "encore une autre phrase solide"


@pytest.fixture(scope="module")
def browser(platform, tmp_path_factory):
    found = Browser(platform.gateway, tmp_path_factory.mktemp("downloads"))
    yield found
    found.close()


@pytest.fixture(scope="module")
def activation_link(platform) -> str:
    """A family account an agent of a new structure created: the link of its activation email."""
    with platform.invoicing_channel() as channel:  # the structure as its invoicing system describes it
        billing_pb2_grpc.BillingServiceStub(channel).SetStructure(
            billing_pb2.Structure(
                structure_id=STRUCTURE,
                name=f"Ville de Sète {RUN}",
                address="20 rue Paul Valéry",
                postal_code="34200",
                city="Sète",
                siret="21750001600019",
                email="petite-enfance@sete.example",
                phone="04 67 46 80 00",
            ),
            timeout=10,
        )
    token = platform.create_agent(STRUCTURE, AGENT_LOGIN)
    assert platform.call("POST", "/v1/auth/activate", json={"token": token, "password": PASSWORD}).status_code == 204
    agent = platform.call("POST", "/v1/auth/login", json={"login": AGENT_LOGIN, "password": PASSWORD}).json()
    created = platform.call(
        "POST",
        "/v1/admin/accounts",
        agent["access_token"],
        json={"login": FAMILY_LOGIN, "display_name": "Famille Roux"},
    )
    assert created.status_code == 201, created.text
    [mail] = wait_for(lambda: SmtpSink(MAILDIR).messages(to=FAMILY_LOGIN), timeout=30, what="the activation email")
    return html.unescape(re.search(r'<a href="([^"]+)"', part_of(mail, "text/html")).group(1))


def api_login(platform, password: str) -> requests.Response:
    return platform.call("POST", "/v1/auth/login", json={"login": FAMILY_LOGIN, "password": password})


def test_1_the_family_activates_from_the_email_and_signs_in(browser, activation_link):
    browser.open(activation_link)
    browser.fill(Nouveau_mot_de_passe=PASSWORD, Confirmez_le_mot_de_passe=PASSWORD)
    browser.click(browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "Votre compte est activé." in browser.text("body")

    browser.open("/")
    assert browser.path.startswith("/connexion")
    assert browser.title == "Connexion — Portail famille"
    browser.check_page("connexion")

    browser.fill(Identifiant=FAMILY_LOGIN, Mot_de_passe="pas le bon mot de passe")
    browser.press("Se connecter")
    assert "Identifiant ou mot de passe incorrect" in browser.error_next_to("Mot de passe")
    assert "Votre demande n'a pas abouti" in browser.text(".error-summary")
    assert browser.field("Identifiant").get_attribute("value") == FAMILY_LOGIN  # kept; the password is not
    assert browser.field("Mot de passe").get_attribute("value") == ""
    browser.check_page("connexion-erreur")

    browser.fill(Mot_de_passe=PASSWORD)
    browser.press("Se connecter")
    assert browser.path == "/"
    assert browser.title == "Accueil — Portail famille"
    assert "Aucune notification pour le moment" in browser.text()
    browser.check_page("accueil")


def test_2_mon_compte_shows_the_identifier_read_only(browser):
    browser.follow("Mon compte")
    assert browser.path == "/mon-compte"
    page = browser.text()
    assert f"Identifiant\n{FAMILY_LOGIN} (ne peut pas être modifié)" in page
    assert "Famille Roux" in page
    assert f"Structure\nVille de Sète {RUN}\npetite-enfance@sete.example\n04 67 46 80 00" in page
    assert STRUCTURE not in page  # a code, not for parents
    assert browser.driver.find_elements(By.CSS_SELECTOR, "main input") == []  # nothing to edit here
    browser.check_page("mon-compte")


def test_2b_the_pages_speak_english_to_who_chooses_it_and_french_again(browser):
    browser.follow("English version")
    assert browser.path == "/mon-compte"  # the same page, now in English
    assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.title == "My account — Family portal"
    page = browser.text()
    assert f"Login\n{FAMILY_LOGIN} (cannot be changed)" in page
    assert re.search(r"Last sign-in\n\d{1,2} [A-Z][a-z]+ 20\d\d at \d\d:\d\d", page), page
    browser.check_page("my-account-en", lang="en")
    browser.follow("Change my password")
    assert browser.title == "Change my password — Family portal"
    browser.follow("Version française")
    assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert browser.title == "Changer mon mot de passe — Portail famille"
    browser.follow("Mon compte")


def test_3_a_wrong_current_password_a_short_or_leaked_one_are_explained_and_change_nothing(browser, platform):
    browser.follow("Changer mon mot de passe")
    browser.check_page("mot-de-passe")

    browser.fill(Mot_de_passe_actuel="pas le bon", Nouveau_mot_de_passe=NEW_PASSWORD)
    browser.type_into("Confirmez le nouveau mot de passe", NEW_PASSWORD)
    browser.press("Changer le mot de passe")
    assert "mot de passe actuel" in browser.error_next_to("Mot de passe actuel").lower()
    browser.check_page("mot-de-passe-erreur")

    for weak, expected in (
        ("court", "entre 12 et 128 caractères"),
        ("password1234", "mots de passe les plus répandus"),
    ):
        browser.fill(Mot_de_passe_actuel=PASSWORD, Nouveau_mot_de_passe=weak)
        browser.type_into("Confirmez le nouveau mot de passe", weak)
        browser.press("Changer le mot de passe")
        assert expected in browser.error_next_to("Nouveau mot de passe")

    browser.fill(Mot_de_passe_actuel=PASSWORD, Nouveau_mot_de_passe=NEW_PASSWORD)
    browser.type_into("Confirmez le nouveau mot de passe", NEW_PASSWORD + " ")
    browser.press("Changer le mot de passe")
    assert "ne correspond pas" in browser.error_next_to("Confirmez le nouveau mot de passe")
    assert api_login(platform, PASSWORD).status_code == 200  # nothing changed so far


def test_4_the_password_change_signs_out_the_other_sessions_and_says_so(browser, platform):
    elsewhere = api_login(platform, PASSWORD).json()["access_token"]  # the phone app, say
    browser.fill(Mot_de_passe_actuel=PASSWORD, Nouveau_mot_de_passe=NEW_PASSWORD)
    browser.type_into("Confirmez le nouveau mot de passe", NEW_PASSWORD)
    assert browser.field("Me déconnecter de mes autres appareils").is_selected()
    browser.press("Changer le mot de passe")
    assert browser.path == "/mon-compte"
    notice = browser.text(".notice")
    assert notice.startswith("Votre mot de passe a été changé.")
    assert re.search(r"\d+ autres? sessions? (a|ont) été déconnectées?", notice), notice
    assert platform.call("GET", "/v1/account", elsewhere).status_code == 401
    assert api_login(platform, PASSWORD).status_code == 401
    browser.follow("Mon compte")  # this browser stays signed in
    assert browser.path == "/mon-compte"


def test_5_where_i_am_signed_in_ends_the_others(browser, platform):
    other = api_login(platform, NEW_PASSWORD).json()["access_token"]
    browser.follow("Où je suis connecté")
    assert browser.text().count("Terminer cette connexion") == 1
    assert "cet appareil" in browser.text()
    browser.check_page("connexions")
    browser.press("Terminer toutes les autres connexions")
    assert browser.text(".notice") == "1 autre connexion terminée."
    assert platform.call("GET", "/v1/account", other).status_code == 401
    assert "Terminer cette connexion" not in browser.text()


def test_6_signing_out_forgets_the_session_on_the_server(browser, platform):
    cookie = browser.cookie("portal")
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    browser.click(browser.driver.find_element(By.XPATH, "//header//button[normalize-space()='Se déconnecter']"))
    assert browser.path == "/connexion"
    assert browser.text(".notice") == "Vous êtes déconnecté."
    # The cookie copied before signing out, from another browser: nothing of the account.
    replayed = requests.get(
        platform.gateway + "/mon-compte", cookies={"portal": cookie["value"]}, timeout=10, allow_redirects=False
    )
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/connexion")


def test_7_a_form_posted_without_its_csrf_token_changes_nothing(platform):
    visitor = requests.Session()
    assert visitor.get(platform.gateway + "/connexion", timeout=10).status_code == 200
    forged = visitor.post(
        platform.gateway + "/connexion", data={"login": FAMILY_LOGIN, "password": NEW_PASSWORD}, timeout=10
    )
    assert forged.status_code == 400
    assert "Ce formulaire a expiré" in forged.text
    assert visitor.get(platform.gateway + "/mon-compte", timeout=10, allow_redirects=False).status_code == 302


def test_8_a_keyboard_alone_signs_in(browser):
    """No mouse: Tab from the top of the page to each field, Enter to send; the focus is always visible."""
    browser.open("/connexion")
    browser.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.driver.switch_to.active_element.text == "Aller au contenu"  # the first stop: skip to the content
    tab_to(browser, lambda e: e.get_attribute("id") == "login").send_keys(FAMILY_LOGIN, Keys.TAB)
    password = browser.driver.switch_to.active_element
    assert password.get_attribute("id") == "password"
    browser.loads(lambda: password.send_keys(NEW_PASSWORD, Keys.ENTER))
    assert browser.path == "/"
    assert browser.title == "Accueil — Portail famille"


def tab_to(browser, wanted, limit: int = 80):
    """Tab from where the focus is (no mouse) until the focused element is `wanted`; every stop shows its focus."""
    for _ in range(limit):
        browser.driver.switch_to.active_element.send_keys(Keys.TAB)
        active = browser.driver.switch_to.active_element
        outline, inner = browser.driver.execute_script(
            "return [getComputedStyle(arguments[0]).outlineStyle, !arguments[0].matches(':focus')]", active
        )
        # A date field whose day, month or year part holds the focus is not :focus itself (Chromium highlights that
        # part); every other stop must show the portal's focus ring.
        inner_part = inner and active.get_attribute("type") == "date"
        assert outline != "none" or inner_part, f"no visible focus on {active.get_attribute('outerHTML')[:80]}"
        if wanted(active):
            return active
    raise AssertionError(f"{limit} tabs on {browser.path} without reaching what was looked for")


# ---------------------------------------------------------------------------------- the rest of the account area


def family_token(platform) -> str:
    return api_login(platform, NEW_PASSWORD).json()["access_token"]


def agent_token(platform) -> str:
    return platform.call("POST", "/v1/auth/login", json={"login": AGENT_LOGIN, "password": PASSWORD}).json()[
        "access_token"
    ]


def set_date(browser, label: str, value: date) -> None:
    # A date input's typed format follows the browser's locale; its value is always ISO.
    browser.driver.execute_script("arguments[0].value = arguments[1]", browser.field(label), value.isoformat())


def test_9_a_statement_for_a_future_period_is_refused_and_a_year_downloads_as_a_pdf(browser, platform):
    token = family_token(platform)
    family_id = platform.call("GET", "/v1/account", token).json()["account_id"]
    platform.record_invoice(
        STRUCTURE,
        family_id,
        external_id=f"inv-web-{RUN}",
        number=f"F-WEB-{RUN}",
        child="Léo Roux",
        issue_date="2025-03-31",
        amount_cents=31_250,
    )
    browser.follow("Mes relevés")
    assert browser.path == "/mes-releves"
    assert "Vous n'avez pas encore demandé de relevé." in browser.text()
    browser.check_page("releves")

    browser.driver.find_element(By.ID, "choice-period").click()
    set_date(browser, "Du", date.today())
    set_date(browser, "Au", date.today() + timedelta(days=30))
    browser.press("Obtenir le relevé")
    assert browser.error_next_to("Au").endswith("La période ne peut pas se terminer dans le futur.")
    assert "Vous n'avez pas encore demandé de relevé." in browser.text()  # nothing was made
    browser.check_page("releves-erreur")

    browser.driver.find_element(By.ID, "choice-year").click()
    Select(browser.field("Année")).select_by_value("2025")
    browser.press("Obtenir le relevé")
    assert re.fullmatch(r"/mes-releves/[0-9a-f]{32}", browser.path), browser.path
    page = browser.text()
    assert "du 1er janvier 2025 au 31 décembre 2025" in page
    assert "Crèche : 312,50 € facturés" in page  # WebDriver reads no-break spaces as spaces
    assert "2025-" not in page  # dates in words, never ISO
    browser.check_page("releve")
    pdf = browser.download("Télécharger le PDF")
    assert pdf.name.startswith("REL-")
    assert pdf.suffix == ".pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")

    browser.follow("Revenir à Mes relevés")
    assert "Du 1er janvier 2025 au 31 décembre 2025" in browser.text(".cards")


def test_9b_the_keyboard_alone_changes_a_preference_and_downloads_a_statement(browser, platform):
    """No mouse: Tab to each link, field and button, Enter to follow or send, Space to tick."""
    browser.open("/")

    def press_enter(element) -> None:
        browser.loads(lambda: element.send_keys(Keys.ENTER))

    press_enter(tab_to(browser, lambda e: e.text == "Mon compte"))
    press_enter(tab_to(browser, lambda e: e.text == "Mes notifications : e-mail et push"))
    box = tab_to(browser, lambda e: e.get_attribute("id") == "dossier-quotient_updated")
    assert box.is_selected()
    box.send_keys(Keys.SPACE)
    press_enter(tab_to(browser, lambda e: e.text == "Enregistrer mes choix"))
    assert browser.text(".notice") == "Vos choix de notification sont enregistrés."
    saved = platform.call("GET", "/v1/notification-preferences", family_token(platform)).json()
    assert saved["dossier"]["quotient_updated"] is False
    assert saved["dossier"]["review_completed"] is True  # only what was ticked off

    press_enter(tab_to(browser, lambda e: e.text == "Mes relevés"))
    press_enter(tab_to(browser, lambda e: e.text == "Du 1er janvier 2025 au 31 décembre 2025"))
    before = set(browser.downloads.iterdir())
    tab_to(browser, lambda e: e.text == "Télécharger le PDF").send_keys(Keys.ENTER)

    def downloaded() -> list:
        new = set(browser.downloads.iterdir()) - before
        return [p for p in new if not p.name.startswith(".") and not p.name.endswith(".crdownload")]

    [pdf] = wait_for(downloaded, timeout=30, what="the statement downloaded")
    assert pdf.read_bytes().startswith(b"%PDF-")
    browser.open("/")


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_10_documents_from_the_structure_are_marked_unread_until_opened(browser, platform):
    family_id = platform.call("GET", "/v1/account", family_token(platform)).json()["account_id"]
    sent = platform.call(
        "POST",
        f"/v1/admin/families/{family_id}/documents",
        agent_token(platform),
        data={"title": "Règlement intérieur 2026", "message": "À lire avant la rentrée."},
        files={"file": ("reglement.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 201, sent.text
    browser.follow("Vos documents")
    card = browser.text(".cards")
    assert "Non lu Règlement intérieur 2026" in card
    assert "À lire avant la rentrée." in card
    browser.check_page("documents")
    downloaded = browser.download("Télécharger : Règlement intérieur 2026")
    assert downloaded.read_bytes() == PDF
    browser.open("/mes-documents")
    assert "Non lu" not in browser.text(".cards")


def unread_count(browser) -> int:
    found = re.search(r"(\d+) notifications? non lues?\.", browser.text())
    return int(found.group(1)) if found else 0


def test_10b_the_feed_counts_what_is_unread_and_leads_to_the_statement_and_the_document(browser, platform):
    """The invoice of test 9, January's tax certificate and test 10's document, each on the home page; the
    certificate opens its statement, the document's notification opens the file."""
    out = platform.command("billing-statement", "yearly-certificates", "--year", "2025")
    assert json.loads(out.strip().splitlines()[-1])["done"] >= 1, out

    def certificate_arrived() -> bool:
        browser.open("/")
        return "Votre attestation fiscale 2025 est disponible" in browser.text()

    wait_for(certificate_arrived, timeout=30, what="the certificate's notification")
    feed = browser.text(".feed")
    assert f"La facture F-WEB-{RUN} de 312,50 € est disponible." in feed
    assert "La structure vous a envoyé un document : Règlement intérieur 2026." in feed
    unread = unread_count(browser)
    assert unread == len(browser.driver.find_elements(By.CSS_SELECTOR, ".feed-item--unread")) >= 3
    browser.check_page("accueil-notifications")

    browser.follow("Voir le relevé : Votre attestation fiscale 2025 est disponible")
    assert re.fullmatch(r"/mes-releves/[0-9a-f]{32}", browser.path), browser.path
    assert "du 1er janvier 2025 au 31 décembre 2025" in browser.text()
    browser.open("/")
    assert browser.download("Ouvrir le document : Nouveau document de la structure").read_bytes() == PDF

    browser.press("Marquer comme lu : Nouvelle facture disponible")
    assert browser.path.startswith("/#n-")  # back where it was on the page
    assert unread_count(browser) == unread - 1
    browser.press("Tout marquer comme lu")
    assert "Toutes les notifications sont marquées comme lues." in browser.text()
    assert "Vous avez tout lu." in browser.text()
    assert not browser.driver.find_elements(By.CSS_SELECTOR, ".feed-item--unread")
    browser.follow("Vos documents")  # where test 11 starts


def test_11_a_document_too_large_or_not_what_its_name_says_is_refused_in_french(browser, platform, tmp_path):
    browser.follow("Envoyer un document à la structure")
    browser.check_page("envoyer-document")
    large = tmp_path / "scan.pdf"
    large.write_bytes(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024))
    browser.fill(Titre_du_document="Attestation d'assurance")
    browser.field("Fichier").send_keys(str(large))
    # Said before anything is sent (the script), and by the server for a browser without it:
    assert browser.error_next_to("Fichier").endswith("Le fichier dépasse la taille maximale de 10 Mo.")
    cookie = browser.cookie("portal")["value"]
    csrf = browser.driver.find_element(By.NAME, "csrf_token").get_attribute("value")
    with large.open("rb") as body:
        refused = requests.post(
            platform.gateway + "/mes-documents/envoyer",
            cookies={"portal": cookie},
            data={"csrf_token": csrf, "title": "Attestation"},
            files={"file": ("scan.pdf", body, "application/pdf")},
            timeout=60,
        )
    assert refused.status_code == 413
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "Le fichier dépasse la taille maximale de 10\u00a0Mo." in html.unescape(refused.text)

    disguised = tmp_path / "facture.pdf"
    disguised.write_bytes(b"MZ\x90\x00" + b"\x00" * 4096)  # a Windows program, renamed
    browser.open("/mes-documents/envoyer")
    browser.fill(Titre_du_document="Facture")
    browser.field("Fichier").send_keys(str(disguised))
    browser.press("Envoyer")
    assert "Ce type de fichier n'est pas accepté." in browser.error_next_to("Fichier")
    assert browser.field("Titre du document").get_attribute("value") == "Facture"  # kept
    browser.check_page("envoyer-document-erreur")
    sent_by_family = platform.call("GET", "/v1/dossier/documents", family_token(platform)).json()["items"]
    assert sent_by_family == []  # nothing kept

    good = tmp_path / "attestation.pdf"
    good.write_bytes(PDF)
    browser.fill(Titre_du_document="Attestation d'assurance")
    browser.field("Fichier").send_keys(str(good))
    browser.press("Envoyer")
    assert browser.path == "/mes-documents"
    assert browser.text(".notice") == "Votre document « Attestation d'assurance » a été envoyé à la structure."
    assert "Attestation d'assurance" in browser.text("#sent-title + .cards")
    [kept] = platform.call("GET", "/v1/dossier/documents", family_token(platform)).json()["items"]
    assert kept["title"] == "Attestation d'assurance"


def test_12_turning_both_channels_off_is_explained_and_saved(browser, platform):
    browser.follow("Mon compte")
    browser.follow("Mes notifications : e-mail et push")
    browser.check_page("notifications")
    for label in ("E-mails", "Notifications push (sur votre téléphone ou ce navigateur)"):
        assert browser.field(label).is_selected()
        browser.field(label).click()
    browser.press("Enregistrer mes choix")
    assert "Vous ne recevrez plus ni e-mail ni notification push" in browser.text(".notice")
    saved = platform.call("GET", "/v1/notification-preferences", family_token(platform)).json()
    assert (saved["email_enabled"], saved["push_enabled"]) == (False, False)
    assert saved["invoices"]["issued"] is True  # the rest as it was
    assert not browser.field("E-mails").is_selected()


STUB_PUSH_SERVICE = """
    const subscription = arguments[0];
    PushManager.prototype.getSubscription = () => Promise.resolve(null);
    PushManager.prototype.subscribe = function (options) {
        const key = new Uint8Array(options.applicationServerKey);
        sessionStorage.setItem("applicationServerKey", btoa(String.fromCharCode(...key)));
        return Promise.resolve({toJSON: () => subscription});
    };"""


def test_12b_this_browser_subscribes_to_push_and_receives_the_next_invoice(browser, platform):
    """Web Push in Chromium for real (permission, service worker, the portal's VAPID key, the subscription saved
    through the web service), except the browser vendor's push service, which is on the Internet: the page's
    PushManager hands back a subscription to the test's push service instead, with keys the test holds."""
    driver = browser.driver
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": platform.gateway, "permissions": ["notifications"]})
    browser.field("Notifications push (sur votre téléphone ou ce navigateur)").click()  # test 12 turned it off
    browser.press("Enregistrer mes choix")

    elsewhere = BrowserKeys("https://push.example.invalid/abonnement")  # refused before anything is sent there
    driver.execute_script(STUB_PUSH_SERVICE, elsewhere.subscription())
    browser.driver.find_element(
        By.XPATH, "//button[normalize-space()='Recevoir les notifications sur ce navigateur']"
    ).click()
    wait_for(lambda: browser.text(".webpush-status"), timeout=15, what="the refusal")
    assert browser.text(".webpush-status") == "Ce service de notification n'est pas accepté par le portail."

    keys = BrowserKeys(f"{platform.web_push.origin}/wpush/{RUN}")
    driver.execute_script(STUB_PUSH_SERVICE, keys.subscription())
    browser.press("Recevoir les notifications sur ce navigateur")
    assert browser.text(".notice") == "Ce navigateur recevra vos notifications push."
    assert "Chrome sur Linux" in browser.text(".cards")
    token = family_token(platform)
    key = platform.call("GET", "/v1/push-devices/webpush-key", token).json()["public_key"]
    assert base64.b64decode(driver.execute_script("return sessionStorage.getItem('applicationServerKey')")) == (
        unb64url(key)
    )
    worker = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.getRegistration('/').then(r => done(r && r.active ? r.active.scriptURL : null));"
    )
    assert worker == f"{platform.gateway}/sw.js"

    family_id = platform.call("GET", "/v1/account", token).json()["account_id"]
    platform.record_invoice(
        STRUCTURE,
        family_id,
        external_id=f"inv-push-{RUN}",
        number=f"F-PUSH-{RUN}",
        child="Léo Roux",
        issue_date="2026-01-31",
        amount_cents=4_200,
    )
    [sent] = wait_for(
        lambda: [r for r in platform.web_push.received if r["path"] == f"/wpush/{RUN}"], timeout=30, what="the push"
    )
    title, _, body = keys.decrypt(sent["body"]).partition("\r\n")  # only this browser's keys can read it
    assert title == "Nouvelle facture disponible"
    assert f"La facture F-PUSH-{RUN} de 42,00" in body

    browser.press("Retirer cet appareil : Chrome sur Linux")
    assert browser.text(".notice") == "Cet appareil ne recevra plus de notifications push."
    assert platform.call("GET", "/v1/push-devices", token).json()["items"] == []


def test_12c_the_unsubscribe_link_of_an_email_asks_first_then_turns_off_that_email_only(browser, platform):
    """The link at the bottom of an invoice email, opened in the browser: opening it changes nothing (mail scanners
    follow links); the page's button turns off the invoices' e-mails, and only them."""
    browser.follow("Mon compte")
    browser.follow("Mes notifications : e-mail et push")
    browser.field("E-mails").click()  # test 12 turned e-mails off
    browser.press("Enregistrer mes choix")
    token = family_token(platform)
    platform.record_invoice(
        STRUCTURE,
        platform.call("GET", "/v1/account", token).json()["account_id"],
        external_id=f"inv-mail-{RUN}",
        number=f"F-MAIL-{RUN}",
        child="Léo Roux",
        issue_date="2026-02-28",
        amount_cents=3_100,
    )

    def invoice_mail() -> list:
        return [m for m in SmtpSink(MAILDIR).messages(to=FAMILY_LOGIN) if f"F-MAIL-{RUN}" in part_of(m, "text/html")]

    [mail] = wait_for(invoice_mail, timeout=30, what="the invoice email")
    link = html.unescape(re.search(r'href="([^"]*/v1/unsubscribe\?token=[^"]+)"', part_of(mail, "text/html"))[1])
    assert mail["List-Unsubscribe"] == f"<{link}>"  # the mail client's button: the same link, POSTed (RFC 8058)

    browser.open(link)
    browser.check_page("unsubscribe")
    assert browser.title == "Se désabonner des e-mails — Portail famille"
    assert "les messages de sécurité de votre compte vous seront toujours envoyés" in browser.text()
    assert platform.call("GET", "/v1/notification-preferences", token).json()["invoices"]["email"] is True

    browser.press("Me désabonner des e-mails « Factures »")
    assert browser.title == "Désabonnement enregistré — Portail famille"
    assert "vous ne recevrez plus par e-mail les notifications « Factures »" in browser.text()
    browser.check_page("unsubscribe-done")
    saved = platform.call("GET", "/v1/notification-preferences", token).json()
    assert saved["invoices"]["email"] is False
    assert (saved["email_enabled"], saved["dossier"]["email"]) == (True, True)

    browser.open(link.replace("token=", "token=x"))  # a link cut or altered: said so, nothing changes
    assert browser.title == "Lien non valide — Portail famille"
    browser.open("/")


def test_13_the_history_lists_what_happened_and_filters_by_area(browser):
    browser.follow("Mon compte")
    browser.follow("Historique de mon compte")
    labels = ("Connexion", "Mot de passe modifié", "Activation du compte", "Document envoyé à la structure")

    def every_page() -> str:
        """The history from the newest to the first action, following "Actions plus anciennes"."""
        browser.open("/mon-compte/historique")
        pages = [browser.text()]
        while older := browser.driver.find_elements(By.LINK_TEXT, "Actions plus anciennes"):
            older[0].click()
            pages.append(browser.text())
        return "\n".join(pages)

    for _ in range(20):  # the upload reaches the history through Kafka, a moment after
        shown = every_page()
        missing = [label for label in labels if f"\n{label}\n" not in f"\n{shown}\n"]
        if not missing:
            break
        time.sleep(1)
    assert missing == [], shown
    browser.open("/mon-compte/historique")
    browser.check_page("historique")
    browser.field("Factures et relevés").click()
    browser.press("Filtrer")
    entries = browser.text(".feed")
    assert "Nouvelle facture disponible" in entries
    assert "Relevé de facturation généré" in entries
    assert "Connexion" not in entries
    assert "N° F-WEB-" in entries
    assert "312,50 €" in entries


def test_14_deleting_the_account_asks_for_the_password_and_names_who_can_restore_it(browser, platform):
    browser.follow("Mon compte")
    browser.follow("Supprimer mon compte")
    assert browser.path == "/mon-compte/suppression"
    page = browser.text()
    assert "seule votre structure peut rétablir le compte" in page
    assert f"Ville de Sète {RUN}\n20 rue Paul Valéry\n34200 Sète\nE-mail : petite-enfance@sete.example" in page
    browser.check_page("supprimer-mon-compte")

    browser.fill(Votre_mot_de_passe_pour_confirmer="pas le bon mot de passe")
    browser.press("Supprimer définitivement mon compte")
    assert "mot de passe" in browser.error_next_to("Votre mot de passe pour confirmer").lower()
    assert api_login(platform, NEW_PASSWORD).status_code == 200  # nothing deleted

    browser.fill(Votre_mot_de_passe_pour_confirmer=NEW_PASSWORD)
    browser.press("Supprimer définitivement mon compte")
    assert browser.path == "/connexion"
    assert browser.text(".notice").startswith("Votre compte a été supprimé et vous êtes déconnecté.")
    assert api_login(platform, NEW_PASSWORD).status_code == 401
    browser.open("/mon-compte")
    assert browser.path.startswith("/connexion")


def test_15_an_agent_finds_the_deleted_family_and_restores_it(browser, platform):
    browser.open("/connexion")
    browser.fill(Identifiant=AGENT_LOGIN, Mot_de_passe=PASSWORD)
    browser.press("Se connecter")
    assert browser.path == "/structure/familles"  # an agent's home
    browser.type_into("Identifiant, nom ou adresse e-mail", "ROUX")
    Select(browser.field("Statut du compte")).select_by_visible_text("Supprimé (restaurable)")
    browser.press("Chercher")
    results = browser.text(".cards")
    assert re.search(
        r"Famille Roux\n" + re.escape(FAMILY_LOGIN) + r" · Supprimé \(restaurable\) — encore (29|30) jours", results
    )
    browser.check_page("structure-familles")

    browser.follow("Famille Roux")
    page = browser.text()
    assert "Statut\nSupprimé (restaurable)" in page
    assert "Suppression du compte" in page  # its history, as the agent sees it
    assert "Mozilla" not in page  # without the family's browsers and addresses
    browser.check_page("structure-famille")
    browser.press("Rétablir ce compte")
    assert browser.text(".notice").startswith("Le compte est rétabli")
    assert "Statut\nActif" in browser.text()
    assert api_login(platform, NEW_PASSWORD).status_code == 200

    browser.press("Envoyer un e-mail pour choisir un nouveau mot de passe")
    assert browser.text(".notice").startswith(
        f"Un e-mail pour choisir un nouveau mot de passe est envoyé à {FAMILY_LOGIN}."
    )
    wait_for(
        lambda: SmtpSink(MAILDIR).messages(to=FAMILY_LOGIN, subject="Réinitialisation de votre mot de passe"),
        timeout=30,
        what="the reset email",
    )


def test_16_the_agent_sends_the_family_a_document_and_sees_the_one_it_sent(browser, platform, tmp_path):
    browser.follow("Envoyer un document à la famille")
    browser.check_page("structure-envoyer-document")
    letter = tmp_path / "attestation-de-paiement.pdf"
    letter.write_bytes(PDF)
    browser.fill(Titre_du_document="Attestation de paiement 2025")
    browser.field("Fichier").send_keys(str(letter))
    browser.press("Envoyer à la famille")
    assert browser.text(".notice").startswith("Le document « Attestation de paiement 2025 » est envoyé")
    assert "Attestation de paiement 2025" in browser.text()
    received = platform.call("GET", "/v1/documents", family_token(platform)).json()["items"]
    assert received[0]["title"] == "Attestation de paiement 2025"
    assert received[0]["unread"] is True

    Select(browser.field("Année du relevé")).select_by_value("2025")
    statement = browser.download("Télécharger le relevé de cette famille")  # asked at the desk
    assert statement.name.startswith("REL-")
    assert statement.read_bytes().startswith(b"%PDF-")

    browser.follow("Familles")
    browser.follow("Documents envoyés par les familles")
    assert "Attestation d'assurance" in browser.text(".cards")  # the family's, from test 11
    browser.check_page("structure-documents-recus")
    assert browser.download("Télécharger : Attestation d'assurance").read_bytes() == PDF


def link_in(mail) -> str:
    return html.unescape(re.search(r'<a href="([^"]+)"', part_of(mail, "text/html")).group(1))


def choose_password(browser, link: str, password: str) -> str:
    """The page an email's link opens (activation or reset): the password twice; what the page then says."""
    browser.open(link)
    browser.fill(Nouveau_mot_de_passe=password, Confirmez_le_mot_de_passe=password)
    browser.click(browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    return browser.text("body")


def test_17_an_expired_reset_link_is_refused_and_a_new_one_is_asked_for_from_the_sign_in_page(browser, platform):
    mail = SmtpSink(MAILDIR).messages(to=FAMILY_LOGIN, subject="Réinitialisation de votre mot de passe")[-1]  # test 15
    past = datetime.now(UTC) - timedelta(hours=2)
    with platform.database("identity") as identity:  # two hours later: the link's deadline has passed
        identity.accounts.update_one(
            {"login": FAMILY_LOGIN}, {"$set": {"reset_expires_at": past, "reset_requested_at": past}}
        )
    page = choose_password(browser, link_in(mail), "une toute nouvelle phrase")
    assert "Ce lien de réinitialisation est invalide ou a expiré." in page
    assert "refaites une demande depuis « Mot de passe oublié » sur la page de connexion" in page
    assert api_login(platform, NEW_PASSWORD).status_code == 200  # nothing changed

    browser.driver.delete_all_cookies()  # a parent at home, not signed in
    browser.open("/connexion")
    browser.follow("Mot de passe oublié ?")
    browser.check_page("mot-de-passe-oublie")
    browser.press("Recevoir le lien")
    assert browser.error_next_to("Identifiant").endswith("Indiquez votre identifiant.")
    browser.fill(Identifiant=FAMILY_LOGIN)
    browser.press("Recevoir le lien")
    assert browser.path == "/connexion"
    assert browser.text(".notice").startswith("Si un compte correspond à cet identifiant, un e-mail vient")
    mails = wait_for(
        lambda: [
            m
            for m in SmtpSink(MAILDIR).messages(to=FAMILY_LOGIN, subject="Réinitialisation de votre mot de passe")
            if link_in(m) != link_in(mail)
        ],
        timeout=30,
        what="the new reset email",
    )
    assert "Votre mot de passe est modifié" in choose_password(browser, link_in(mails[-1]), NEW_PASSWORD + " bis")
    assert api_login(platform, NEW_PASSWORD + " bis").status_code == 200


def test_18_the_agent_resends_an_activation_and_disables_a_colleague(browser, platform):
    login = f"attente.{RUN}@example.fr"
    created = platform.call(
        "POST", "/v1/admin/accounts", agent_token(platform), json={"login": login, "display_name": "Famille Lenoir"}
    )
    assert created.status_code == 201, created.text
    [first] = wait_for(lambda: SmtpSink(MAILDIR).messages(to=login), timeout=30, what="the activation email")
    browser.open("/connexion")
    browser.fill(Identifiant=AGENT_LOGIN, Mot_de_passe=PASSWORD)
    browser.press("Se connecter")
    browser.type_into("Identifiant, nom ou adresse e-mail", "lenoir")
    browser.press("Chercher")
    browser.follow("Famille Lenoir")
    assert "Statut\nEn attente d'activation" in browser.text()
    browser.press("Renvoyer le lien d'activation")
    assert browser.text(".notice").startswith(f"Un nouveau lien d'activation est envoyé à {login}.")
    [again] = wait_for(
        lambda: [m for m in SmtpSink(MAILDIR).messages(to=login) if "un nouveau lien pour activer" in part_of(m)],
        timeout=30,
        what="the new activation email",
    )
    page = choose_password(browser, link_in(first), PASSWORD)  # the first link no longer works
    assert "Ce lien d'activation est invalide ou a expiré." in page
    assert "Votre compte est activé." in choose_password(browser, link_in(again), PASSWORD)
    assert platform.call("POST", "/v1/auth/login", json={"login": login, "password": PASSWORD}).status_code == 200

    colleague = f"collegue.{RUN}@creche.fr"
    browser.open("/structure/agents")
    browser.check_page("structure-agents")
    browser.fill(Nom="Camille Agent")
    browser.type_into("Adresse e-mail (son identifiant)", "pas une adresse")
    browser.press("Ajouter cet agent")
    assert "adresse e-mail valide" in browser.error_next_to("Adresse e-mail (son identifiant)")
    browser.type_into("Adresse e-mail (son identifiant)", colleague)
    browser.press("Ajouter cet agent")
    assert browser.text(".notice") == f"Un e-mail d'activation est envoyé à {colleague}."
    token = re.search(
        r"token=([A-Za-z0-9_-]+)",
        part_of(wait_for(lambda: SmtpSink(MAILDIR).messages(to=colleague), timeout=30, what="its email")[0]),
    ).group(1)
    assert platform.call("POST", "/v1/auth/activate", json={"token": token, "password": PASSWORD}).status_code == 204
    assert platform.call("POST", "/v1/auth/login", json={"login": colleague, "password": PASSWORD}).status_code == 200
    cards = browser.text(".cards")
    assert f"Agent (vous)\n{AGENT_LOGIN} · Actif" in cards
    assert f"Camille Agent\n{colleague} · En attente d'activation" in browser.text(".cards")  # as listed just now

    browser.open("/structure/agents")
    browser.driver.find_element(By.XPATH, "//summary[normalize-space()='Désactiver : Camille Agent']").click()
    browser.press("Désactiver le compte de Camille Agent")
    assert browser.text(".notice") == "Le compte de Camille Agent est désactivé : il ne peut plus se connecter."
    assert f"Camille Agent\n{colleague} · Désactivé" in browser.text(".cards")
    assert platform.call("POST", "/v1/auth/login", json={"login": colleague, "password": PASSWORD}).status_code == 401
