"""A family and the portal's pages in a real headless Chromium, through the gateway, every service real: the
activation link of the email, signing in, Mon compte, the password, where it is signed in, signing out; with
axe-core's scan, the 320 px check and the screenshots of every page on the way. Runs in order."""

from __future__ import annotations

import html
import re
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.support.browser import Browser
from tests.support.env import MAILDIR
from tests.support.sinks import SmtpSink, part_of
from tests.support.wait import wait_for

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
    assert STRUCTURE in page
    assert browser.driver.find_elements(By.CSS_SELECTOR, "main input") == []  # nothing to edit here
    browser.check_page("mon-compte")


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
    body = browser.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    active = browser.driver.switch_to.active_element
    assert active.text == "Aller au contenu"  # the first stop: skip to the content
    visited = []
    for _ in range(8):
        active.send_keys(Keys.TAB)
        active = browser.driver.switch_to.active_element
        outline = browser.driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", active)
        assert outline != "none", f"no visible focus on {active.get_attribute('outerHTML')[:80]}"
        visited.append(active.get_attribute("id") or active.text)
        if active.get_attribute("id") == "login":
            active.send_keys(FAMILY_LOGIN, Keys.TAB)
            password = browser.driver.switch_to.active_element
            assert password.get_attribute("id") == "password"
            browser.loads(lambda: password.send_keys(NEW_PASSWORD, Keys.ENTER))  # noqa: B023 - called at once
            break
    assert browser.path == "/", visited
    assert browser.title == "Accueil — Portail famille"
