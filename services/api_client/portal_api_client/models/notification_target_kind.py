from enum import StrEnum

class NotificationTargetKind(StrEnum):
    DOCUMENT = "document"
    STATEMENT = "statement"

    def __str__(self) -> str:
        return str(self.value)
