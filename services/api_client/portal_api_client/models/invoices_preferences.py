from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="InvoicesPreferences")



@_attrs_define
class InvoicesPreferences:
    """ 
        Attributes:
            enabled (bool):
            issued (bool):
            payment_status_changed (bool):
            direct_debit_refused (bool):
            unpaid_reminder (bool):
            online_payment_blocked (bool):
            email (bool):
     """

    enabled: bool
    issued: bool
    payment_status_changed: bool
    direct_debit_refused: bool
    unpaid_reminder: bool
    online_payment_blocked: bool
    email: bool





    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        issued = self.issued

        payment_status_changed = self.payment_status_changed

        direct_debit_refused = self.direct_debit_refused

        unpaid_reminder = self.unpaid_reminder

        online_payment_blocked = self.online_payment_blocked

        email = self.email


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "enabled": enabled,
            "issued": issued,
            "payment_status_changed": payment_status_changed,
            "direct_debit_refused": direct_debit_refused,
            "unpaid_reminder": unpaid_reminder,
            "online_payment_blocked": online_payment_blocked,
            "email": email,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        enabled = d.pop("enabled")

        issued = d.pop("issued")

        payment_status_changed = d.pop("payment_status_changed")

        direct_debit_refused = d.pop("direct_debit_refused")

        unpaid_reminder = d.pop("unpaid_reminder")

        online_payment_blocked = d.pop("online_payment_blocked")

        email = d.pop("email")

        invoices_preferences = cls(
            enabled=enabled,
            issued=issued,
            payment_status_changed=payment_status_changed,
            direct_debit_refused=direct_debit_refused,
            unpaid_reminder=unpaid_reminder,
            online_payment_blocked=online_payment_blocked,
            email=email,
        )

        return invoices_preferences

