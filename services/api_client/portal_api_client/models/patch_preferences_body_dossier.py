from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="PatchPreferencesBodyDossier")



@_attrs_define
class PatchPreferencesBodyDossier:
    """ 
        Attributes:
            enabled (bool | Unset):
            review_completed (bool | Unset):
            document_requested (bool | Unset):
            quotient_updated (bool | Unset):
            child_school_updated (bool | Unset):
            email (bool | Unset):
     """

    enabled: bool | Unset = UNSET
    review_completed: bool | Unset = UNSET
    document_requested: bool | Unset = UNSET
    quotient_updated: bool | Unset = UNSET
    child_school_updated: bool | Unset = UNSET
    email: bool | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        review_completed = self.review_completed

        document_requested = self.document_requested

        quotient_updated = self.quotient_updated

        child_school_updated = self.child_school_updated

        email = self.email


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if review_completed is not UNSET:
            field_dict["review_completed"] = review_completed
        if document_requested is not UNSET:
            field_dict["document_requested"] = document_requested
        if quotient_updated is not UNSET:
            field_dict["quotient_updated"] = quotient_updated
        if child_school_updated is not UNSET:
            field_dict["child_school_updated"] = child_school_updated
        if email is not UNSET:
            field_dict["email"] = email

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        review_completed = d.pop("review_completed", UNSET)

        document_requested = d.pop("document_requested", UNSET)

        quotient_updated = d.pop("quotient_updated", UNSET)

        child_school_updated = d.pop("child_school_updated", UNSET)

        email = d.pop("email", UNSET)

        patch_preferences_body_dossier = cls(
            enabled=enabled,
            review_completed=review_completed,
            document_requested=document_requested,
            quotient_updated=quotient_updated,
            child_school_updated=child_school_updated,
            email=email,
        )

        return patch_preferences_body_dossier

