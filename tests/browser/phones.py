"""Phones for the browser tests: a 390×844 touch screen with its own context and storage,
standing where the test puts it, and signing in to the field app."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import READY_MS, PageErrors
from tests.conftest import PASSWORD, LiveServer

PHONE_WIDTH = 390
PHONE: dict[str, Any] = {"viewport": {"width": PHONE_WIDTH, "height": 844}, "is_mobile": True,
                         "has_touch": True, "device_scale_factor": 2}
#: GPS accuracy of the emulated fixes (m).
ACCURACY_M = 6.0


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    errors: PageErrors

    def move(self, lat: float, lon: float) -> None:
        self.context.set_geolocation({"latitude": lat, "longitude": lon,
                                      "accuracy": ACCURACY_M})

    def reopen(self) -> Page:
        """Close the app and open it again (from the home screen)."""
        self.page.close()
        self.page = self.context.new_page()
        self._listen()
        return self.page

    def _listen(self) -> None:
        self.page.on("console", self.errors.on_console)
        self.page.on("pageerror", self.errors.on_error)


Phones = Callable[..., Phone]


@contextlib.contextmanager
def phone_maker(browser: Browser, **options: Any) -> Iterator[Phones]:
    """``make(lat, lon)``: a new phone standing there (no position given: location refused);
    ``options`` go to every phone's browser context. All are closed at the end."""
    opened: list[Phone] = []

    def make(lat: float | None = None, lon: float | None = None) -> Phone:
        context_options = {**PHONE, **options}
        if lat is not None and lon is not None:
            context_options.update(geolocation={"latitude": lat, "longitude": lon,
                                                "accuracy": ACCURACY_M},
                                   permissions=["geolocation"])
        context = browser.new_context(**context_options)
        phone = Phone(context, context.new_page(), PageErrors([]))
        phone._listen()
        opened.append(phone)
        return phone

    try:
        yield make
    finally:
        for phone in opened:
            phone.context.close()


def sign_in(page: Page, live: LiveServer, username: str) -> None:
    page.goto(f"{live.url}/app")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=READY_MS)
