"""The simulator's one vendor extension, for DataTransfer in every version.

Vendor id = the configured vendor name; message ``Echo`` answers Accepted with
the data it was sent. Any other message of ours is UnknownMessageId, any other
vendor UnknownVendorId, as a real charger answers.
"""

from __future__ import annotations

from typing import Any

ECHO = "Echo"


def answer_data_transfer(
    our_vendor: str, vendor_id: str, message_id: str | None, data: Any
) -> tuple[str, Any]:
    """Return (status, data) for a DataTransfer the CSMS sent."""
    if vendor_id != our_vendor:
        return "UnknownVendorId", None
    if message_id != ECHO:
        return "UnknownMessageId", None
    return "Accepted", data
