from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import Literal, cast






T = TypeVar("T", bound="Tokens")



@_attrs_define
class Tokens:
    """ 
        Attributes:
            access_token (str):
            token_type (Literal['Bearer']):
            expires_in (int): Secondes de validité du jeton d'accès
            refresh_token (str):
            session_id (str):
     """

    access_token: str
    token_type: Literal['Bearer']
    expires_in: int
    refresh_token: str
    session_id: str





    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        token_type = self.token_type

        expires_in = self.expires_in

        refresh_token = self.refresh_token

        session_id = self.session_id


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "access_token": access_token,
            "token_type": token_type,
            "expires_in": expires_in,
            "refresh_token": refresh_token,
            "session_id": session_id,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access_token = d.pop("access_token")

        token_type = cast(Literal['Bearer'] , d.pop("token_type"))
        if token_type != 'Bearer':
            raise ValueError(f"token_type must match const 'Bearer', got '{token_type}'")

        expires_in = d.pop("expires_in")

        refresh_token = d.pop("refresh_token")

        session_id = d.pop("session_id")

        tokens = cls(
            access_token=access_token,
            token_type=token_type,
            expires_in=expires_in,
            refresh_token=refresh_token,
            session_id=session_id,
        )

        return tokens

