from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.readiness_checks import ReadinessChecks





T = TypeVar("T", bound="Readiness")



@_attrs_define
class Readiness:
    """ 
        Attributes:
            status (str):
            checks (ReadinessChecks):
     """

    status: str
    checks: ReadinessChecks





    def to_dict(self) -> dict[str, Any]:
        from ..models.readiness_checks import ReadinessChecks # noqa: PLC0415
        status = self.status

        checks = self.checks.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "status": status,
            "checks": checks,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.readiness_checks import ReadinessChecks # noqa: PLC0415
        d = dict(src_dict)
        status = d.pop("status")

        checks = ReadinessChecks.from_dict(d.pop("checks"))




        readiness = cls(
            status=status,
            checks=checks,
        )

        return readiness

