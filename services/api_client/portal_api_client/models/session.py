from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime






T = TypeVar("T", bound="Session")



@_attrs_define
class Session:
    """ 
        Attributes:
            session_id (str):
            current (bool): La session de ce jeton
            user_agent (None | str):
            ip (None | str):
            created_at (datetime.datetime):
            last_used_at (datetime.datetime):
     """

    session_id: str
    current: bool
    user_agent: None | str
    ip: None | str
    created_at: datetime.datetime
    last_used_at: datetime.datetime





    def to_dict(self) -> dict[str, Any]:
        session_id = self.session_id

        current = self.current

        user_agent: None | str
        user_agent = self.user_agent

        ip: None | str
        ip = self.ip

        created_at = self.created_at.isoformat()

        last_used_at = self.last_used_at.isoformat()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "session_id": session_id,
            "current": current,
            "user_agent": user_agent,
            "ip": ip,
            "created_at": created_at,
            "last_used_at": last_used_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        session_id = d.pop("session_id")

        current = d.pop("current")

        def _parse_user_agent(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        user_agent = _parse_user_agent(d.pop("user_agent"))


        def _parse_ip(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ip = _parse_ip(d.pop("ip"))


        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        last_used_at = datetime.datetime.fromisoformat(d.pop("last_used_at"))




        session = cls(
            session_id=session_id,
            current=current,
            user_agent=user_agent,
            ip=ip,
            created_at=created_at,
            last_used_at=last_used_at,
        )

        return session

