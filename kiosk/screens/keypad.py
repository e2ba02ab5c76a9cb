"""Big on-screen keys in rows, for the booking-code keypad and the maintenance PIN pad."""

from collections.abc import Callable, Iterable

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget


def build_keypad(
    container: Widget,
    rows: Iterable[str],
    on_key: Callable[[str], None],
    ids: dict,
    id_prefix: str,
) -> None:
    """Fill `container` with one row per string, one `KeyButton` per character; each key is
    registered as `ids[id_prefix + char]` (tests and the screen find it by that id)."""
    for keys in rows:
        row = BoxLayout(spacing=dp(8))
        for char in keys:
            button = Factory.KeyButton(text=char)
            button.bind(on_release=lambda b: on_key(b.text))
            ids[f"{id_prefix}{char}"] = button
            row.add_widget(button)
        container.add_widget(row)
