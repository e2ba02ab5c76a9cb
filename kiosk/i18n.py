"""Every on-screen text goes through `tr._()`: gettext catalogs, Bahasa Indonesia first.

Kivy rebinds a kv property when something it reads changes. `Translator` is an Observable whose
`_` behaves like a property in kv (`text: tr._("Mulai")`), so switching language re-renders every
label on every screen without the screens knowing. (This is Kivy's own i18n recipe.)

The msgids are the Bahasa Indonesia texts themselves: a participant never sees a raw key, and the
`id` catalog only needs entries where the wording is refined.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from kivy.event import Observable

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "bilik"
LANGUAGES = ("id", "en")


class Translator(Observable):
    """Translates msgids for the current language and tells kv bindings when it changes."""

    #: Methods kv may call; a binding to either re-runs on `switch()`.
    TRANSLATING = ("_", "format")

    def __init__(self, language: str = "id") -> None:
        super().__init__()
        self._observers: list[tuple] = []
        self.language = ""
        self._catalog: gettext.NullTranslations = gettext.NullTranslations()
        self.switch(language)

    def _(self, text: str) -> str:
        return self._catalog.gettext(text)

    def format(self, text: str, **params: object) -> str:
        """Translate, then fill `{named}` fields: translators can move them in the sentence."""
        return self._(text).format(**params)

    def switch(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}")
        self.language = language
        self._catalog = gettext.translation(
            DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True
        )
        alive = []
        for entry in self._observers:
            func, largs, _kwargs = entry
            try:
                func(*largs, None, None)
            except ReferenceError:  # the widget behind the binding is gone: drop it
                continue
            alive.append(entry)
        self._observers = alive

    def toggle(self) -> str:
        """Indonesian ⇄ English; returns the new language."""
        self.switch("en" if self.language == "id" else "id")
        return self.language

    # Observable protocol, so kv expressions that call `tr._(...)` re-evaluate on switch().
    def fbind(self, name, func, *largs, **kwargs):
        if name in self.TRANSLATING:
            self._observers.append((func, largs, kwargs))
            return len(self._observers)
        return super().fbind(name, func, *largs, **kwargs)

    def funbind(self, name, func, *largs, **kwargs):
        if name in self.TRANSLATING:
            key = (func, largs, kwargs)
            if key in self._observers:
                self._observers.remove(key)
            return None
        return super().funbind(name, func, *largs, **kwargs)


#: The one translator of the booth app (kv files import it: `#:import tr kiosk.i18n.tr`).
tr = Translator()
