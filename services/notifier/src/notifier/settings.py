"""The notifier's settings: buildingblocks' shared ones and its own (README, Configuration).

Where the channels' gateways are is the deployment's (here); who gets what, quiet hours and the digest's time are
the county's to change at run time (GET|PUT /api/v1/settings, /api/v1/recipients/...)."""
from typing import Optional

from pydantic import Field

from buildingblocks.settings import Settings

PORT = 8004


class NotifierSettings(Settings):
    service: str = "notifier"
    port: int = PORT
    mongodb_db: str = "notifier"
    consumer_group: str = "notifier.notices.v1"
    sms_gateway_url: Optional[str] = Field(None, description="the HTTP SMS gateway: POST JSON {phone, text}")
    smtp_host: Optional[str] = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "notifier@localhost"
    smtp_user: Optional[str] = None
    smtp_password: Optional[str] = None
    smtp_starttls: bool = False
    send_interval_s: float = Field(2.0, gt=0)  # how often the sender looks for due notices
    send_timeout_s: float = Field(10.0, gt=0)  # one HTTP or SMTP delivery
    retry_base_s: float = Field(30.0, gt=0)  # the first retry's wait; doubled per attempt
    retry_max_s: float = Field(3600.0, gt=0)  # the longest wait between attempts
    max_attempts: int = Field(20, ge=1)  # then the notice is failed for good
    sender_lease_s: Optional[float] = Field(None, gt=0)  # the sender's lease term; unset: 5 intervals, at least 10 s

    @property
    def sender_lease_term_s(self) -> float:
        return self.sender_lease_s if self.sender_lease_s is not None else max(5 * self.send_interval_s, 10.0)


def load() -> NotifierSettings:
    return NotifierSettings()
