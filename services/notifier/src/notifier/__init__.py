"""Notifications: notices of new issues, reminders, 督办单 and weekly digests to units and 包抓 leaders."""
