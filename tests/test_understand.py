"""Understanding: OCR, the sky and text regions, describe and its answers, backends, ops and CLI."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest
from helpers import needs
from PIL import Image
from scenes import available_fonts, sky_scene, text_image
from skimage import data

import retouch
from retouch.analyze import to_rgb_float
from retouch.cli import main
from retouch.errors import InputError
from retouch.regions.sky import sky_matte
from retouch.understand import answer, describe, dominant_colours, exif_summary, horizon_tilt

LINES = [("OPEN 24 HOURS", 22), ("Quick brown fox, 1987", 36), ("Exit only", 56)]


@pytest.fixture(scope="module")
def astronaut_report() -> dict:
    return describe(data.astronaut())


@pytest.mark.parametrize("font", sorted(available_fonts()))
def test_read_text_is_exact_across_fonts_and_sizes(font: str) -> None:
    lines = retouch.read_text(text_image(font, LINES))
    assert [line["text"] for line in lines] == [text for text, _ in LINES]
    for line, (_, size) in zip(lines, LINES, strict=True):
        _, _, w, h = line["box"]
        assert 0.6 * size < h < 2.5 * size and w > h and 0 < line["score"] <= 1


def test_text_region_covers_the_lettering_only() -> None:
    sign = text_image("pillow-default", [("SALE TODAY", 48)])
    canvas = np.full((300, 700, 3), 230, np.uint8)
    canvas[100 : 100 + sign.shape[0], 50 : 50 + sign.shape[1]] = sign
    mask = retouch.region_mask(canvas, "text")
    (line,) = retouch.read_text(canvas)
    x, y, w, h = line["box"]
    assert mask[y + h // 2, x + w // 2] == 1.0
    assert mask[y : y + h, x : x + w].mean() > 0.97
    assert mask[:, : x - h].max() < 0.05 and mask[: y - h].max() < 0.05
    assert retouch.region_mask(data.chelsea(), "text").max() == 0


def test_no_text_in_a_photo_without_any() -> None:
    assert retouch.read_text(data.chelsea()) == []


def _iou(mask: np.ndarray, label: np.ndarray) -> float:
    selected = mask > 0.5
    return float((selected & label).sum() / max((selected | label).sum(), 1))


def test_sky_mask_matches_labelled_scenes() -> None:
    ious = []
    for seed in (0, 2, 4, 6, 8, 10, 11):
        image, label, _ = sky_scene(seed)
        mask = sky_matte(to_rgb_float(image))
        assert mask.dtype == np.float32 and mask.shape == label.shape
        assert mask.min() >= 0 and mask.max() <= 1
        ious.append(_iou(mask, label))
    assert np.mean(ious) > 0.9 and min(ious) > 0.75


def test_sky_mask_on_real_photos() -> None:
    camera = retouch.region_mask(data.camera(), "sky")
    # The cameraman's sky: the top rows are sky, the grass is not.
    assert camera[:40].mean() > 0.95 and camera[350:].max() < 0.05
    rocket = retouch.region_mask(data.rocket(), "sky")
    assert rocket[20:200, 250:300].mean() > 0.9 and rocket[-20:].mean() < 0.05
    for name in ("astronaut", "coffee", "chelsea", "hubble_deep_field", "immunohistochemistry"):
        assert retouch.region_mask(getattr(data, name)(), "sky").mean() < 0.01, name


def test_describe_reports_the_contracted_keys(astronaut_report: dict) -> None:
    report = astronaut_report
    assert (report["width"], report["height"]) == (512, 512)
    assert isinstance(report["summary"], str) and "one face" in report["summary"]
    (face,) = report["faces"]
    assert set(face) == {"box", "score"} and len(face["box"]) == 4 and face["score"] > 0.8
    assert report["text"] == [] or all(set(line) == {"text", "box", "score"} for line in report["text"])
    assert isinstance(report["noise_sigma"], float) and report["noise_sigma"] < 4
    assert report["sharpness"] > 100 and report["blur"]["verdict"] == "sharp"
    assert report["exposure"]["verdict"] == "well exposed"
    assert 0.3 < report["people_coverage"] < 0.8 and report["sky_coverage"] == 0
    assert report["orientation"] == "square" and report["colourfulness"]["verdict"] == "very colourful"
    assert abs(sum(c["fraction"] for c in report["dominant_colours"]) - 1) < 0.01
    json.dumps(report)


def test_describe_reads_the_sign_and_answers_from_it() -> None:
    sign = text_image("pillow-default", [("NO PARKING", 40)])
    report = describe(sign, question="what does the sign say?")
    assert [line["text"] for line in report["text"]] == ["NO PARKING"]
    assert report["answer"] == "It says: NO PARKING"
    assert '"NO PARKING"' in report["summary"]


def test_answers_follow_the_measurements(astronaut_report: dict) -> None:
    assert answer(astronaut_report, "how many faces?") == "I see one face."
    assert answer(astronaut_report, "is it blurry?").startswith("No")
    assert answer(astronaut_report, "is it noisy?").startswith("No")
    assert "well exposed" in answer(astronaut_report, "is it too dark?")
    assert answer(astronaut_report, "what's in this picture?") == astronaut_report["summary"]
    rng = np.random.default_rng(0)
    photo = data.coffee().astype(np.float32)
    noisy = np.clip(photo + rng.normal(0, 20, photo.shape), 0, 255).astype(np.uint8)
    assert answer(noisy, "is it noisy?").startswith("Yes")
    blurred = np.asarray(Image.fromarray(data.coffee()).resize((75, 50)).resize((600, 400), Image.BILINEAR))
    assert answer(blurred, "is it blurry?").startswith("Yes")
    dark = (data.coffee() * 0.08).astype(np.uint8)
    assert "too dark" in answer(dark, "is it too dark?")
    assert answer(data.chelsea(), "how many faces?") == "I see no faces."
    with pytest.raises(InputError):
        answer(data.chelsea(), "  ")


def test_quality_score_orders_pristine_and_distorted() -> None:
    from retouch.quality import brisque_available, brisque_features, brisque_score

    grey = data.camera() / 255.0
    assert brisque_features(grey).shape == (36,)
    if not brisque_available():
        needs("BRISQUE model files not installed (Debian opencv-data)")
    rng = np.random.default_rng(1)
    noisy = np.clip(grey + rng.normal(0, 0.08, grey.shape), 0, 1)
    assert brisque_score(grey) + 20 < brisque_score(noisy)


def test_scene_helpers() -> None:
    image = data.astronaut() / 255.0
    names = {c["name"] for c in dominant_colours(image.astype(np.float32))}
    assert {"red", "grey"} <= names or {"orange", "grey"} <= names
    lines = np.zeros((200, 400), np.float32)
    rows = (100 - np.tan(np.radians(5)) * np.arange(400)).astype(int)
    lines[rows, np.arange(400)] = 1
    lines[rows + 1, np.arange(400)] = 1
    assert horizon_tilt(lines) == pytest.approx(5, abs=0.6)
    assert horizon_tilt(np.zeros((100, 100), np.float32)) is None
    tags = Image.Exif()
    tags[0x010F], tags[0x0110] = "Canon", "EOS R5"
    assert exif_summary(tags.tobytes()) == {"Make": "Canon", "Model": "EOS R5"}
    assert exif_summary(None) == {}


class _ChatServer(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        reply = {
            "choices": [{"message": {"role": "assistant", "content": "An astronaut in an orange suit."}}]
        }
        payload = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def test_openai_backend_sends_the_image_and_merges_the_caption(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("RETOUCH_VISION_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
        monkeypatch.setenv("RETOUCH_VISION_MODEL", "llava")
        monkeypatch.setenv("RETOUCH_VISION_API_KEY", "secret")
        report = describe(data.astronaut(), read=False, backend="openai", question="what is she wearing?")
    finally:
        server.shutdown()
    assert report["caption"] == "An astronaut in an orange suit."
    assert "An astronaut in an orange suit." in report["summary"]
    assert report["answer"] == "An astronaut in an orange suit."
    caption_call, question_call = _ChatServer.received[-2:]
    assert caption_call["path"] == "/v1/chat/completions" and caption_call["auth"] == "Bearer secret"
    body = question_call["body"]
    assert body["model"] == "llava"
    (message,) = body["messages"]
    parts = {part["type"]: part for part in message["content"]}
    assert parts["text"]["text"] == "what is she wearing?"
    url = parts["image_url"]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    import base64
    import io

    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.size == (512, 512)


def test_learned_backends_say_how_to_configure(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("RETOUCH_VISION_BASE_URL", raising=False)
    with pytest.raises(InputError, match="RETOUCH_VISION_BASE_URL"):
        describe(data.astronaut(), read=False, backend="openai")
    monkeypatch.setenv("RETOUCH_VISION_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RETOUCH_VISION_MODEL", "llava")
    monkeypatch.setenv("RETOUCH_VISION_TIMEOUT", "2")
    with pytest.raises(InputError, match="cannot reach"):
        describe(data.astronaut(), read=False, backend="openai")
    with pytest.raises(InputError, match="model folder"):
        describe(data.astronaut(), read=False, backend="transformers", model_dir=tmp_path)
    with pytest.raises(InputError, match="unknown describe backend"):
        describe(data.astronaut(), read=False, backend="magic")


def test_transformers_backend_on_a_tiny_random_blip(tmp_path) -> None:
    pytest.importorskip("torch", reason="the vision extra (torch, transformers) is not installed")
    transformers = pytest.importorskip("transformers")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    torch.manual_seed(0)
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "[DEC]": 5}
    vocab.update(
        {word: i + 6 for i, word in enumerate(("a", "photo", "of", "an", "astronaut", "orange", "suit"))}
    )
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.BertTokenizerFast(
        tokenizer_object=tokenizer, bos_token="[DEC]", pad_token="[PAD]", sep_token="[SEP]",
        cls_token="[CLS]", unk_token="[UNK]", mask_token="[MASK]",
    )  # fmt: skip
    config = transformers.BlipConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64,
                     "num_hidden_layers": 1, "num_attention_heads": 2, "bos_token_id": 5,
                     "pad_token_id": 0, "sep_token_id": 3, "eos_token_id": 3},
        projection_dim=32,
    )  # fmt: skip
    model = transformers.BlipForConditionalGeneration(config)
    image_processor = transformers.BlipImageProcessor(size={"height": 32, "width": 32})
    processor = transformers.BlipProcessor(image_processor=image_processor, tokenizer=fast)
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)

    report = describe(data.astronaut(), read=False, backend="transformers", model_dir=tmp_path)
    words = report["caption"].split()
    assert words and set(words) <= set(vocab)
    assert report["caption"].rstrip(".") in report["summary"]


def test_analysis_ops_land_in_the_report() -> None:
    plan = retouch.Plan.from_dict(
        {
            "steps": [
                {"op": "describe", "params": {"question": "how many faces?", "read": False}},
                {"op": "ocr"},
            ]
        }
    )
    result = retouch.apply(data.astronaut(), plan)
    described, read = result.report["analysis"]
    assert described["op"] == "describe" and described["result"]["answer"] == "I see one face."
    assert read["op"] == "ocr" and isinstance(read["result"]["lines"], list)
    assert np.array_equal(result.array, data.astronaut())


def test_cli_describe_and_ocr(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    sign = tmp_path / "sign.png"
    Image.fromarray(text_image("pillow-default", [("EXIT", 48)])).save(sign)
    assert main(["ocr", str(sign)]) == 0
    assert capsys.readouterr().out.strip() == "EXIT"
    assert main(["ocr", str(sign), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lines"][0]["text"] == "EXIT"
    assert main(["describe", "sample:astronaut", "--no-text", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["faces"]) == 1
    assert main(["describe", "sample:astronaut", "--no-text", "--question", "how many faces?"]) == 0
    assert capsys.readouterr().out.strip() == "I see one face."
    assert main(["describe", str(tmp_path / "missing.png")]) == 2
    assert main(["describe", "sample:astronaut", "--backend", "nonsense", "--no-text"]) == 2
    assert "unknown describe backend" in capsys.readouterr().err
