"""E-mail: decoded subject as title, people and date in metadata, the plain body preferred."""

from __future__ import annotations

import pytest

from kmingest.parsing import ParseError, parse_bytes

ALTERNATIVE = b"""From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.com>
To: team@example.com
Cc: boss@example.com
Subject: =?utf-8?b?UXVhcnRhbHNiZXJpY2h0IMOcYmVyc2ljaHQ=?=
Date: Tue, 01 Oct 2024 12:34:56 -0500
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

Hallo Team,

die Zahlen f=C3=BCr Q3 sind da.

--inner
Content-Type: text/html; charset="utf-8"

<p>HTML version only</p>
--inner--

--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename="q3.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer--
"""


def test_subject_people_date_and_plain_body() -> None:
    content = parse_bytes(ALTERNATIVE, "q3.eml")
    assert content.doc_type == "eml"
    assert content.title == "Quartalsbericht Übersicht"
    assert content.text == "Hallo Team,\n\ndie Zahlen für Q3 sind da."
    assert content.metadata["from"] == "Jürgen Müller <jm@example.com>"
    assert content.metadata["to"] == "team@example.com"
    assert content.metadata["cc"] == "boss@example.com"
    assert content.metadata["date"] == "2024-10-01T12:34:56-05:00"
    assert content.metadata["attachments"] == ["q3.pdf"]


def test_html_only_mail_goes_through_the_html_parser() -> None:
    mail = b"""From: a@example.com
Subject: News
Content-Type: text/html; charset=iso-8859-1

<html><body><h1>Caf\xe9 opening</h1><script>track()</script><p>Free coffee.</p></body></html>
"""
    content = parse_bytes(mail, "news.eml")
    assert content.text == "Café opening\n\nFree coffee."


def test_broken_charset_and_mislabelled_utf8_are_tolerated() -> None:
    mail = "From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=bogus-8\n\nI’m fine – thanks\n"
    assert parse_bytes(mail.encode(), "x.eml").text == "I’m fine – thanks"
    mail = "From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=iso-8859-1\n\nI’m fine\n"
    assert parse_bytes(mail.encode(), "x.eml").text == "I’m fine"


def test_email_saved_as_txt_is_still_an_email() -> None:
    mail = (
        b"From: a@example.com\nTo: b@example.com\nSubject: Lunch\n"
        b"Date: Fri, 16 Dec 2022 17:04:16 -0500\n\nNoon?\n"
    )
    content = parse_bytes(mail, "lunch.txt")
    assert (content.doc_type, content.title, content.text) == ("eml", "Lunch", "Noon?")


def test_utf16_mail() -> None:
    content = parse_bytes("From: a@example.com\nSubject: Hi\n\nBody text\n".encode("utf-16"), "hi.eml")
    assert (content.title, content.text) == ("Hi", "Body text")


def test_encrypted_mail_fails_with_a_reason() -> None:
    mail = (
        b"From: a@example.com\n"
        b'Content-Type: multipart/encrypted; boundary=b; protocol="application/pgp-encrypted"\n\n'
    )
    with pytest.raises(ParseError, match="encrypted"):
        parse_bytes(mail + b"--b\nContent-Type: application/octet-stream\n\nxx\n--b--\n", "secret.eml")


def test_attached_message_is_listed_not_parsed() -> None:
    mail = b"""From: a@example.com
Subject: Fwd
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain

See the attached thread.
--m
Content-Type: message/rfc822
Content-Disposition: attachment; filename="thread.eml"

From: c@example.com
Subject: Old thread

Inner body text.
--m--
"""
    content = parse_bytes(mail, "fwd.eml")
    assert content.text == "See the attached thread."
    assert content.metadata["attachments"] == ["thread.eml"]
