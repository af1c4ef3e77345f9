from enum import StrEnum

class DocumentDirection(StrEnum):
    TO_FAMILY = "to_family"
    TO_STRUCTURE = "to_structure"

    def __str__(self) -> str:
        return str(self.value)
