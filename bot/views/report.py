"""Words around /report (the PDF's own words are in bot/report_pdf.py)."""

from __future__ import annotations

from bot.i18n import Translator


def preparing(tr: Translator) -> str:
    return tr._(
        "Here is a one-page summary for your clinician: practice by week, pain before and after, "
        "exercises stopped for pain and your safety answers."
    )


def caption(tr: Translator) -> str:
    return tr._("Your Stretch Coach report. Show it to your doctor or physiotherapist.")
