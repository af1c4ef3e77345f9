from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="DossierPreferences")



@_attrs_define
class DossierPreferences:
    """ 
        Attributes:
            enabled (bool):
            review_completed (bool):
            document_requested (bool):
            quotient_updated (bool):
            child_school_updated (bool):
            email (bool):
     """

    enabled: bool
    review_completed: bool
    document_requested: bool
    quotient_updated: bool
    child_school_updated: bool
    email: bool





    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        review_completed = self.review_completed

        document_requested = self.document_requested

        quotient_updated = self.quotient_updated

        child_school_updated = self.child_school_updated

        email = self.email


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "enabled": enabled,
            "review_completed": review_completed,
            "document_requested": document_requested,
            "quotient_updated": quotient_updated,
            "child_school_updated": child_school_updated,
            "email": email,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        enabled = d.pop("enabled")

        review_completed = d.pop("review_completed")

        document_requested = d.pop("document_requested")

        quotient_updated = d.pop("quotient_updated")

        child_school_updated = d.pop("child_school_updated")

        email = d.pop("email")

        dossier_preferences = cls(
            enabled=enabled,
            review_completed=review_completed,
            document_requested=document_requested,
            quotient_updated=quotient_updated,
            child_school_updated=child_school_updated,
            email=email,
        )

        return dossier_preferences

