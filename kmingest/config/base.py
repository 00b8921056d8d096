"""What every configuration section shares: the error a bad config file raises and the strict base model.

The sections (kmingest.config.storage, .embedding, .sources, .people, and the root Config in .loading)
derive from `_Strict`, so an unknown key is an error, not a silently ignored typo (a source alone allows
extra keys: its connector's options); kmingest.config.loading turns validation errors into `ConfigError`
messages that name the file, the key and a fix.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigError(Exception):
    """A configuration problem, phrased as `file: key: problem (fix: ...)`."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
