from enum import StrEnum

class MyAccountRole(StrEnum):
    AGENT = "agent"
    FAMILY = "family"

    def __str__(self) -> str:
        return str(self.value)
