"""Delivery over the three channels. Each carries the notice id to the receiver (the X-Notice-Id header; the
e-mail's Message-ID), so a receiver can drop the one duplicate the sender cannot rule out (README, Notifications).

Any exception means "not delivered": the sender records it and retries."""
from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Optional

import httpx

from notifier.domain import Message

NOTICE_HEADER = "X-Notice-Id"


class DeliveryError(Exception):
    pass


def robot_body(fmt: str, message: Message) -> dict[str, Any]:
    """The group-robot JSON of 企业微信 ("wecom") or 钉钉 ("dingtalk"), markdown or text."""
    robot, _, msgtype = (fmt or "wecom:markdown").partition(":")
    if msgtype == "text":
        return {"msgtype": "text", "text": {"content": message.text()}}
    if robot == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown()}}
    return {"msgtype": "markdown", "markdown": {"content": message.markdown()}}


def message_id(notice_id: str) -> str:
    return f"<{notice_id}@notifier>"


def email_message(notice: dict[str, Any], message: Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = notice["address"]
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = message_id(notice["notice_id"])
    mail[NOTICE_HEADER] = notice["notice_id"]
    mail.set_content(message.text(), charset="utf-8")
    return mail


class Channels:
    def __init__(self, settings, http: Optional[httpx.AsyncClient] = None):
        self.settings = settings
        self.http = http or httpx.AsyncClient(timeout=settings.send_timeout_s, trust_env=False)

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, notice: dict[str, Any]) -> None:
        message = Message(notice["title"], tuple(notice.get("lines") or ()))
        channel = notice["channel"]
        if channel == "webhook":
            await self._post(notice["address"], robot_body(notice.get("format") or "", message), notice["notice_id"])
        elif channel == "sms":
            if not self.settings.sms_gateway_url:
                raise DeliveryError("SMS_GATEWAY_URL is not set")
            await self._post(self.settings.sms_gateway_url, {"phone": notice["address"], "text": message.text()},
                             notice["notice_id"])
        elif channel == "email":
            if not self.settings.smtp_host:
                raise DeliveryError("SMTP_HOST is not set")
            await asyncio.wait_for(asyncio.to_thread(self._smtp, email_message(notice, message, self.settings.smtp_from)),
                                   timeout=self.settings.send_timeout_s + 5)
        else:
            raise DeliveryError(f"unknown channel {channel!r}")

    async def _post(self, url: str, body: dict[str, Any], notice_id: str) -> None:
        response = await self.http.post(url, json=body, headers={NOTICE_HEADER: notice_id})
        if response.status_code >= 300:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            reply = response.json()
        except ValueError:
            return
        # The robots answer 200 with {"errcode": n, "errmsg": …}; anything but 0 is a refusal.
        if isinstance(reply, dict) and reply.get("errcode") not in (None, 0):
            raise DeliveryError(f"errcode {reply.get('errcode')}: {reply.get('errmsg')}")

    def _smtp(self, mail: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.send_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(mail)
