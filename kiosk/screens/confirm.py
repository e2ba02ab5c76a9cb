"""'Is this you?': the ticket as the hub knows it, name and NIK masked (others may look on)."""

from kivy.properties import StringProperty

from kiosk.flow import Flow
from kiosk.i18n import tr
from kiosk.messages import format_date
from kiosk.screens.base import BoothScreen, load_kv


class ConfirmScreen(BoothScreen):
    name_masked = StringProperty("")
    nik_masked = StringProperty("")
    service = StringProperty("")
    slot = StringProperty("")
    date = StringProperty("")
    branch = StringProperty("")
    booking_code = StringProperty("")

    def present(self, flow: Flow) -> None:
        ticket = flow.ticket
        self.name_masked = ticket.get("name_masked", "")
        self.nik_masked = ticket.get("nik_masked", "")
        self.service = ticket.get("service", "")
        self.slot = f"{ticket.get('slot_start', '')}–{ticket.get('slot_end', '')}"
        self.date = format_date(ticket.get("date", ""), tr._)
        self.branch = ticket.get("branch_name", "")
        self.booking_code = ticket.get("booking_code", "")


load_kv(__file__)
