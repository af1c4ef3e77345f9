from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="CreateAgentAccountBody")



@_attrs_define
class CreateAgentAccountBody:
    """ 
        Attributes:
            login (str):
            display_name (str):
     """

    login: str
    display_name: str





    def to_dict(self) -> dict[str, Any]:
        login = self.login

        display_name = self.display_name


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "login": login,
            "display_name": display_name,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        login = d.pop("login")

        display_name = d.pop("display_name")

        create_agent_account_body = cls(
            login=login,
            display_name=display_name,
        )

        return create_agent_account_body

