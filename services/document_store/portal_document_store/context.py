"""What the document store's views, servicer and consumer are handed."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.service import ServiceContext, connect
from portal_document_store import store
from portal_document_store.config import DocumentsConfig
from portal_document_store.files import UploadStream

NAME = "document-store"


@dataclass(kw_only=True)
class Context(ServiceContext):
    config: DocumentsConfig

    @classmethod
    def build(cls, config: DocumentsConfig) -> Context:
        connected = connect(NAME, config.common, store.INDEXES, store.OUTBOX_COLLECTIONS)
        return cls(
            **connected.fields(),
            config=config,
        )

    def new_upload(self) -> UploadStream:
        return UploadStream(self.db, max_bytes=self.config.max_upload_bytes, allowed_types=self.config.allowed_types)
