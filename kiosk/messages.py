"""Participant-facing wording for refusals and outages: code + params → (title, body).

The hub and the booth's own checks speak in stable codes (docs/hub-api.md); only this module
turns them into sentences, in the participant's language, through the gettext catalogs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def N_(text: str) -> str:
    """Mark a msgid for the catalogs without translating it yet (translated at display time)."""
    return text


GENERIC = (
    N_("Tiket belum dapat diproses"),
    N_("Silakan coba sekali lagi, atau hubungi petugas di ruang layanan."),
)
_NIK_TITLE = N_("NIK tidak valid")

REFUSALS: dict[str, tuple[str, str]] = {
    "malformed": (
        N_("QR ini bukan tiket antrean"),
        N_(
            "Tunjukkan QR tiket dari aplikasi atau email antrean BPJAMSOSTEK, "
            "atau ketik kode booking Anda."
        ),
    ),
    "malformed_payload": (
        N_("QR ini bukan tiket antrean"),
        N_(
            "Tunjukkan QR tiket dari aplikasi atau email antrean BPJAMSOSTEK, "
            "atau ketik kode booking Anda."
        ),
    ),
    "booking_code": (
        N_("Kode booking tidak lengkap"),
        N_(
            "Kode booking terdiri dari 8 huruf dan angka, misalnya TGC4K7QX. "
            "Periksa lalu coba lagi."
        ),
    ),
    "nik_digits": (_NIK_TITLE, N_("NIK hanya berisi angka. Periksa e-KTP Anda lalu coba lagi.")),
    "nik_length": (_NIK_TITLE, N_("NIK terdiri dari 16 angka. Periksa e-KTP Anda lalu coba lagi.")),
    "nik_province": (
        _NIK_TITLE,
        N_("Kode wilayah pada NIK tidak dikenal. Periksa kembali angka NIK Anda."),
    ),
    "nik_region": (
        _NIK_TITLE,
        N_("Kode wilayah pada NIK tidak dikenal. Periksa kembali angka NIK Anda."),
    ),
    "nik_birth_date": (
        _NIK_TITLE,
        N_("Tanggal lahir pada NIK tidak valid. Periksa kembali angka NIK Anda."),
    ),
    "nik_serial": (
        _NIK_TITLE,
        N_("Empat angka terakhir NIK tidak valid. Periksa kembali angka NIK Anda."),
    ),
    "invalid_nik": (_NIK_TITLE, N_("Periksa kembali 16 angka NIK pada e-KTP Anda.")),
    "invalid_signature": (
        N_("Tiket tidak dapat diverifikasi"),
        N_(
            "QR tiket ini tidak sah. "
            "Buka kembali tiket dari aplikasi antrean, atau ketik kode booking."
        ),
    ),
    "unknown_ticket": (
        N_("Tiket tidak ditemukan"),
        N_(
            "Tidak ada tiket hari ini dengan kode atau NIK tersebut. "
            "Periksa kembali lalu coba lagi."
        ),
    ),
    "wrong_branch": (
        N_("Tiket untuk kantor cabang lain"),
        N_(
            "Tiket Anda terdaftar di {branch_name}. Silakan datang ke kantor cabang tersebut, "
            "atau buat antrean baru untuk kantor ini."
        ),
    ),
    "wrong_day": (
        N_("Tiket bukan untuk hari ini"),
        N_("Tiket Anda untuk tanggal {date}. Silakan datang pada tanggal tersebut."),
    ),
    "too_early": (
        N_("Anda datang lebih awal"),
        N_("Jadwal Anda mulai pukul {slot_start}. Silakan kembali ke bilik pukul {return_at}."),
    ),
    "too_late": (
        N_("Jadwal Anda sudah lewat"),
        N_(
            "Jadwal Anda berakhir pukul {slot_end}. "
            "Silakan buat antrean baru melalui aplikasi atau hubungi petugas."
        ),
    ),
    "cancelled": (
        N_("Tiket sudah dibatalkan"),
        N_("Tiket ini sudah dibatalkan. Silakan buat antrean baru melalui aplikasi."),
    ),
    "already_served": (
        N_("Tiket sudah digunakan"),
        N_("Layanan untuk tiket ini sudah selesai. Jika ada pertanyaan, silakan hubungi petugas."),
    ),
    "no_show": (
        N_("Tiket sudah tidak berlaku"),
        N_("Tiket ini tercatat tidak hadir. Silakan buat antrean baru melalui aplikasi."),
    ),
    "checked_in_elsewhere": (
        N_("Tiket sedang dipakai di bilik lain"),
        N_("Tiket ini sudah check-in di {booth_name}. Silakan menuju bilik tersebut."),
    ),
    "rate_limited": (
        N_("Terlalu banyak percobaan"),
        N_("Mohon tunggu {retry_after} detik, lalu coba lagi."),
    ),
}

OUTAGES: dict[str, str] = {
    "hub": N_("Bilik tidak dapat terhubung ke server layanan."),
    "camera": N_("Kamera bilik tidak berfungsi."),
}

#: JHT documents the CS can ask for (ids from docs/call-api.md).
DOCUMENTS: dict[str, str] = {
    "ektp": N_("e-KTP"),
    "kk": N_("Kartu Keluarga"),
    "savings_book": N_("Buku tabungan"),
    "leaving_proof": N_("Surat keterangan berhenti bekerja (paklaring)"),
    "npwp": N_("NPWP"),
}

MONTHS = (
    N_("Januari"), N_("Februari"), N_("Maret"), N_("April"), N_("Mei"), N_("Juni"),
    N_("Juli"), N_("Agustus"), N_("September"), N_("Oktober"), N_("November"), N_("Desember"),
)  # fmt: skip


def format_date(iso_date: str, translate) -> str:
    """`2026-11-26` → `26 November 2026`, month name in the participant's language."""
    try:
        day = dt.date.fromisoformat(iso_date)
    except ValueError:
        return iso_date
    return f"{day.day} {translate(MONTHS[day.month - 1])} {day.year}"


def refusal_text(code: str, params: dict[str, Any], translate) -> tuple[str, str]:
    """Title and body for a refusal; an unknown code gets the generic message, never a raw code."""
    title, body = REFUSALS.get(code, GENERIC)
    values = {k: ("" if v is None else v) for k, v in params.items()}
    if "date" in values:
        values["date"] = format_date(str(values["date"]), translate)
    try:
        text = translate(body).format(**values)
    except (KeyError, IndexError, ValueError):
        title, body = GENERIC
        text = translate(body)
    return translate(title), text


def outage_text(causes: dict[str, str], translate) -> str:
    """One line per cause that keeps the booth out of service."""
    lines = [translate(OUTAGES.get(cause, N_("Perangkat bilik bermasalah."))) for cause in causes]
    return "\n".join(lines)


def document_name(document: str, translate) -> str:
    return translate(DOCUMENTS[document]) if document in DOCUMENTS else document


def outcome_text(session: dict[str, Any], translate) -> tuple[str, str]:
    """Title and body of the outcome screen, from the closed session."""
    outcome = session.get("outcome")
    if outcome == "verified":
        return translate(N_("Dokumen Anda lengkap")), translate(
            N_("Klaim JHT Anda akan diproses. Informasi selanjutnya dikirim melalui SMS dan email.")
        )
    if outcome == "incomplete":
        missing = ", ".join(document_name(d, translate) for d in session.get("outcome_missing", []))
        return translate(N_("Dokumen belum lengkap")), translate(
            N_("Silakan lengkapi dokumen berikut, lalu buat antrean baru: {missing}.")
        ).format(missing=missing)
    if outcome == "rejected":
        return translate(N_("Klaim belum dapat diproses")), translate(
            N_("Alasan dari petugas: {reason}")
        ).format(reason=session.get("outcome_reason", ""))
    return translate(N_("Layanan selesai")), translate(N_("Terima kasih telah menggunakan bilik."))
