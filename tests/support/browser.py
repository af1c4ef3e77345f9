"""A real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, with what every page
test needs: axe-core's accessibility scan, screenshots at phone and desktop widths, keyboard-only typing."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.env import ROOT

AXE_VERSION = "4.14.1"  # deploy/local/stack.sh install_axe
CACHE = Path(os.environ.get("PORTAL_CACHE") or Path.home() / ".cache" / "portal")
AXE = CACHE / f"axe-core-{AXE_VERSION}" / "axe.min.js"
# Screenshots of every page at both widths: build/screenshots by default; `make screenshots` writes them to
# tests/web/screenshots (PORTAL_SCREENSHOTS).
SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or ROOT / "build" / "screenshots")
PHONE, DESKTOP = 320, 1280
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class Browser:
    def __init__(self, base_url: str, downloads: Path) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=fr-FR"):
            options.add_argument(argument)
        options.add_argument(f"--window-size={DESKTOP},900")
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "plugins.always_open_pdf_externally": True,  # a PDF link downloads, as "Télécharger" says
                "intl.accept_languages": "fr-FR,fr",
            },
        )
        self.driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        self.driver.implicitly_wait(0)
        self.base_url = base_url.rstrip("/")
        self.downloads = downloads

    def close(self) -> None:
        self.driver.quit()

    # ------------------------------------------------------------------------------------------- navigation

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path if path.startswith("/") else path)

    @property
    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.driver.current_url)

    @property
    def title(self) -> str:
        return self.driver.title

    def text(self, css: str = "main") -> str:
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def field(self, label: str) -> WebElement:
        """The form control a visible <label> names (how a parent finds it, and what a screen reader says)."""
        found = self.driver.find_element(By.XPATH, f"//label[normalize-space()={_xpath_text(label)}]")
        return self.driver.find_element(By.ID, found.get_attribute("for"))

    def fill(self, **by_label: str) -> None:
        for label, value in by_label.items():
            control = self.field(label.replace("_", " "))
            control.clear()
            control.send_keys(value)

    def type_into(self, label: str, value: str) -> None:
        control = self.field(label)
        control.clear()
        control.send_keys(value)

    def press(self, button_text: str) -> None:
        """Click a button of the page's content and wait for the page it leads to."""
        self.click(self.driver.find_element(By.XPATH, f"//main//button[normalize-space()={_xpath_text(button_text)}]"))

    def follow(self, link_text: str) -> None:
        self.click(self.driver.find_element(By.XPATH, f"//a[normalize-space()={_xpath_text(link_text)}]"))

    def click(self, element: WebElement) -> None:
        self.loads(element.click)

    def download(self, link_text: str, timeout: float = 30) -> Path:
        """Click a link or button that downloads (the page stays): the file, once Chromium has finished writing it."""
        before = set(self.downloads.iterdir())

        def finished() -> list[Path]:  # Chromium writes a hidden temporary file, then a .crdownload, then the file
            new = set(self.downloads.iterdir()) - before
            return [p for p in new if not p.name.startswith(".") and not p.name.endswith(".crdownload")]

        self.driver.find_element(
            By.XPATH, f"//*[self::a or self::button][normalize-space()={_xpath_text(link_text)}]"
        ).click()
        [found] = WebDriverWait(self.driver, timeout).until(lambda _: finished())
        return found

    def loads(self, action: Callable[[], object], timeout: float = 30) -> None:
        """Do what leads to another page and wait until that page is there (not the old one still)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        action()

        def replaced(_: object) -> bool:
            try:
                old.is_enabled()
            except WebDriverException:  # stale, or mid-navigation ("Node ... does not belong to the document")
                return True
            return False

        WebDriverWait(self.driver, timeout).until(replaced)
        WebDriverWait(self.driver, timeout).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )

    def error_next_to(self, label: str) -> str:
        """The message shown with a field: the element its aria-describedby names for errors."""
        control = self.field(label)
        assert control.get_attribute("aria-invalid") == "true"
        ids = (control.get_attribute("aria-describedby") or "").split()
        [error_id] = [i for i in ids if i.endswith("-error")]
        return self.driver.find_element(By.ID, error_id).text

    def cookie(self, name: str) -> dict[str, Any] | None:
        return self.driver.get_cookie(name)

    # ------------------------------------------------------------------------------------------- quality bars

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's WCAG 2.1 A/AA scan of the page: the violations of impact serious or critical."""
        self.driver.execute_script(AXE.read_text())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' '))}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
            AXE_TAGS,
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def screenshots(self, name: str) -> None:
        """The page at a phone's 320 px and at a desktop's width, full height."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width in (PHONE, DESKTOP):
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(width, max(int(height) + 150, 600))
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(width, max(int(height) + 150, 600))
            self.driver.save_screenshot(str(SHOTS / f"{name}-{width}.png"))
        self.driver.set_window_size(DESKTOP, 900)

    def overflows_at_phone_width(self) -> bool:
        """Whether the page scrolls sideways at 320 px (RGAA 10.11: content reflows, nothing is cut)."""
        self.driver.set_window_size(PHONE, 800)
        wider = self.driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1")
        self.driver.set_window_size(DESKTOP, 900)
        return bool(wider)

    def check_page(self, name: str, lang: str = "fr") -> None:
        """What every page must pass: a title that says where you are, in the page's language, no serious axe
        violation, no sideways scrolling on a phone; and its screenshots."""
        assert self.title.endswith(SITE_NAMES[lang]), self.title
        assert self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        violations = self.axe()
        assert violations == [], violations
        assert not self.overflows_at_phone_width(), f"{name} scrolls sideways at {PHONE} px"
        self.screenshots(name)


SITE_NAMES = {"fr": "— Portail famille", "en": "— Family portal"}


def _xpath_text(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in text.split("'")) + ")"
