from enum import StrEnum

class AccountRole(StrEnum):
    AGENT = "agent"
    FAMILY = "family"

    def __str__(self) -> str:
        return str(self.value)
