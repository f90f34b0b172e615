"""The ``retouch`` command line: a thin front end over the public API.

Exit status: 0 on success, 2 for bad usage or unreadable input, 3 when an
instruction maps to nothing, 1 for an unexpected internal error. Errors are
one line on stderr, never a traceback (``RETOUCH_DEBUG=1`` shows it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from retouch.errors import InputError, RetouchError

app = typer.Typer(
    name="retouch",
    help="Restore, edit and understand images from plain-language instructions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ImageArg = Annotated[str, typer.Argument(help="Image file, or sample:<name> (e.g. sample:astronaut).")]
MaxPixels = Annotated[
    int, typer.Option("--max-pixels", help="Refuse images with more pixels than this.", min=1)
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Quality = Annotated[int, typer.Option("--quality", min=1, max=100, help="JPEG/WebP quality.")]
Strength = Annotated[
    float, typer.Option("--strength", min=0.0, max=1.0, help="1 is the full correction, 0 changes nothing.")
]
ReportPath = Annotated[Path | None, typer.Option("--report", help="Also write the report as JSON here.")]


class ProgressBar:
    """A one-line progress bar on stderr, shown only once work passes a second."""

    def __init__(self, delay: float = 1.0) -> None:
        self.start = time.perf_counter()
        self.delay = delay
        self.shown = False
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int, description: str) -> None:
        if not self.enabled or time.perf_counter() - self.start < self.delay:
            return
        width = 24
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {description[:40]:<40}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _with_progress(work: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``work(*args, progress=bar, **kwargs)`` with a progress bar that is closed even on errors."""
    bar = ProgressBar()
    try:
        return work(*args, progress=bar, **kwargs)
    finally:
        bar.close()


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _image_source(image: str) -> Any:
    from retouch.samples import is_sample, load_sample

    return load_sample(image) if is_sample(image) else Path(image)


def _check_output(image: str, output: Path, in_place: bool, *, offers_in_place: bool = True) -> None:
    from retouch.io import same_file

    if not in_place and same_file(image, output):
        hint = " or pass --in-place" if offers_in_place else ""
        raise InputError(f"{output}: refusing to overwrite the input image; choose another -o{hint}")
    if not output.parent.is_dir():
        raise InputError(f"{output}: directory {output.parent} does not exist")


def _write_result(
    result: Any, output: Path, *, quality: int, in_place: bool, report: Path | None, as_json: bool
) -> None:
    """Save a Result, write its report if asked, and print what changed (or all of it as JSON)."""
    written = result.save(output, quality=quality, in_place=in_place)
    if report is not None:
        report.write_text(json.dumps(result.report, indent=2, default=str), encoding="utf-8")
    if as_json:
        _echo_json({"output": str(written), "plan": result.plan.to_dict(), "report": result.report})
        return
    before, after = result.report["before"], result.report["after"]
    typer.echo(f"Wrote {written} in {result.report['total_ms'] / 1000:.2f} s")
    for key in before:
        typer.echo(f"  {key:<16} {before[key]:>10.4g} -> {after[key]:<10.4g}")
    for note in result.report["notes"]:
        typer.echo(f"  note: {note}")


@app.command("apply")
def apply_command(
    image: ImageArg,
    plan: Annotated[Path, typer.Argument(help="Plan file (JSON), as written by `retouch plan --json`.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to write the result.")] = None,
    mask: Annotated[
        Path | None, typer.Option("--mask", help="Mask image for steps whose region is 'mask'.")
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Overwrite IMAGE, keeping a backup as NAME.orig.EXT.")
    ] = False,
    quality: Quality = 92,
    report: ReportPath = None,
    max_pixels: MaxPixels = 200_000_000,
    as_json: JsonFlag = False,
) -> None:
    """Run a saved plan on IMAGE and write the result."""
    from retouch.api import apply, as_plan

    if output is None:
        if not in_place:
            raise InputError("missing -o OUT (or pass --in-place to overwrite IMAGE with a backup)")
        output = Path(image)
    _check_output(image, output, in_place)
    steps = as_plan(plan)
    if not as_json:
        typer.echo("Plan:")
        for line in steps.describe():
            typer.echo(f"  {line}")
    result = _with_progress(apply, _image_source(image), steps, mask=mask, max_pixels=max_pixels)
    _write_result(result, output, quality=quality, in_place=in_place, report=report, as_json=as_json)


@app.command("auto")
def auto_command(
    image: ImageArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the result.")],
    strength: Strength = 1.0,
    quality: Quality = 92,
    report: ReportPath = None,
    max_pixels: MaxPixels = 200_000_000,
    as_json: JsonFlag = False,
) -> None:
    """Enhance IMAGE automatically: measure, correct, measure again; write the result.

    Each round's steps and the reason the loop stopped are printed; the plan
    that ran (in --report, or with --json) can be replayed with `retouch apply`.
    """
    from retouch.enhance import auto_enhance
    from retouch.plans import Step

    _check_output(image, output, in_place=False, offers_in_place=False)
    result = _with_progress(auto_enhance, _image_source(image), strength=strength, max_pixels=max_pixels)
    if not as_json:
        for record in result.report["rounds"]:
            state = "kept" if record["kept"] else "undone"
            typer.echo(f"Round {record['round']} ({state}):")
            for step in record["decisions"]:
                line = Step(step["op"], step["amount"], params=step["params"]).describe()
                skipped = f" [skipped: {step['skipped']}]" if "skipped" in step else ""
                typer.echo(f"  {line:<40} {step['why']}{skipped}")
        typer.echo(f"Stopped: {result.report['stopped']}")
        typer.echo("Plan run:")
        for line in result.plan.describe() or ["(no steps: the photo is fine as it is)"]:
            typer.echo(f"  {line}")
    _write_result(result, output, quality=quality, in_place=False, report=report, as_json=as_json)


@app.command("restore")
def restore_command(
    image: ImageArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the result.")],
    strength: Strength = 1.0,
    quality: Quality = 92,
    report: ReportPath = None,
    max_pixels: MaxPixels = 200_000_000,
    as_json: JsonFlag = False,
) -> None:
    """Restore an old photo: scratches, dust, grain, faded tones and colour; write the result.

    Each action is printed with the measurement that called for it, before
    and after; the plan that ran (in --report, or with --json) replays with
    `retouch apply`.
    """
    from retouch.restoration import restore

    _check_output(image, output, in_place=False, offers_in_place=False)
    result = _with_progress(restore, _image_source(image), strength=strength, max_pixels=max_pixels)
    if not as_json:
        for action in result.report["actions"]:
            if "skipped" in action:
                typer.echo(f"  {action['op']:<18} skipped: {action['skipped']}")
                continue
            before, after = action["before"], action["after"]
            change = ", ".join(f"{k} {before[k]:.4g} -> {after[k]:.4g}" for k in before if k in after)
            typer.echo(f"  {action['op']:<18} {action['why']} ({change})")
    _write_result(result, output, quality=quality, in_place=False, report=report, as_json=as_json)


@app.command("inpaint")
def inpaint_command(
    image: ImageArg,
    mask: Annotated[
        Path, typer.Option("--mask", help="Mask image of the same size: white (over half) = fill.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the result.")],
    method: Annotated[
        str, typer.Option("--method", help="auto (per masked part), fast, or exemplar.")
    ] = "auto",
    quality: Quality = 92,
    max_pixels: MaxPixels = 200_000_000,
) -> None:
    """Fill the masked parts of IMAGE from the rest of it and write the result."""
    import numpy as np

    from retouch.inpainting import inpaint
    from retouch.io import load_image, save_image
    from retouch.regions.user import mask_to_float

    _check_output(image, output, in_place=False, offers_in_place=False)
    picture = load_image(_image_source(image), max_pixels=max_pixels)
    shape = picture.pixels.shape[:2]
    drawn = load_image(mask, max_pixels=max_pixels)
    if drawn.pixels.shape[:2] != shape:
        raise InputError(
            f"{mask}: mask is {drawn.width}x{drawn.height} but the image is {picture.width}x{picture.height}"
        )
    hole = mask_to_float(drawn, shape) > 0.5
    stacked = picture.pixels if picture.alpha is None else np.dstack([picture.pixels, picture.alpha])
    started = time.perf_counter()
    filled = inpaint(stacked, hole, method=method)
    channels = picture.pixels.shape[2]
    alpha = None if picture.alpha is None else filled[..., channels]
    written = save_image(picture.with_pixels(filled[..., :channels], alpha=alpha), output, quality=quality)
    typer.echo(f"Wrote {written}: filled {int(hole.sum())} pixels in {time.perf_counter() - started:.2f} s")
    for note in picture.notes:
        typer.echo(f"  note: {note}")


@app.command("generate")
def generate_command(
    prompt: Annotated[str, typer.Argument(help='What the picture should show, e.g. "a lighthouse at dusk".')],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the image.")],
    model: Annotated[
        str | None,
        typer.Option("--model", help="Diffusers pipeline folder or cached hub id (RETOUCH_DIFFUSION_MODEL)."),
    ] = None,
    width: Annotated[int, typer.Option("--width", help="Width in pixels, a multiple of 8.")] = 512,
    height: Annotated[int, typer.Option("--height", help="Height in pixels, a multiple of 8.")] = 512,
    steps: Annotated[int, typer.Option("--steps", help="Denoising steps: more is slower, cleaner.")] = 25,
    seed: Annotated[int, typer.Option("--seed", help="Same seed and settings, same image.")] = 0,
    guidance: Annotated[float, typer.Option("--guidance", help="How strictly to follow the prompt.")] = 7.5,
    negative: Annotated[
        str | None, typer.Option("--negative", help="What the picture should not show.")
    ] = None,
    quality: Quality = 92,
) -> None:
    """Make an image from PROMPT with a local diffusion model (pip install 'retouch[generate]')."""
    import numpy as np

    from retouch.generation import generate
    from retouch.io import SAVE_FORMATS, Picture, save_image

    if not output.parent.is_dir():
        raise InputError(f"{output}: directory {output.parent} does not exist")
    if output.suffix.lower() not in SAVE_FORMATS:
        raise InputError(f"{output}: unknown image extension; use one of {', '.join(SAVE_FORMATS)}")
    # diffusers and transformers log and draw loading bars of their own; the command prints one line.
    quiet = {"TQDM_DISABLE": "1", "TRANSFORMERS_VERBOSITY": "error", "DIFFUSERS_VERBOSITY": "error"}
    for name, value in quiet.items():
        os.environ.setdefault(name, value)
    started = time.perf_counter()
    image = _with_progress(
        generate,
        prompt,
        model=model,
        width=width,
        height=height,
        steps=steps,
        guidance=guidance,
        seed=seed,
        negative_prompt=negative,
    )
    written = save_image(Picture(np.asarray(image), None), output, quality=quality)
    seconds = time.perf_counter() - started
    typer.echo(f"Wrote {written}: {width}x{height}, {steps} steps, seed {seed}, in {seconds:.2f} s")


@app.command("batch")
def batch_command(
    source: Annotated[Path, typer.Argument(help="Directory of images (not recursive).")],
    instruction: Annotated[
        str, typer.Argument(help="What to do to every image (planned once), or a plan file.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the results (created).")],
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Local worker processes.")] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    planner: Annotated[str, typer.Option("--planner", help="default (offline) or openai.")] = "default",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace results that exist.")] = False,
    quality: Quality = 92,
    as_json: JsonFlag = False,
) -> None:
    """Edit every image in SOURCE with one instruction; inputs are never modified.

    Runs on local processes, or on a Dask cluster with --scheduler (its workers
    need retouch installed). Exit 2 if any image failed; each failure is listed.
    """
    from retouch.batch import run_batch

    steps: Any = instruction
    if Path(instruction).suffix.lower() == ".json" and Path(instruction).is_file():
        from retouch.api import as_plan

        steps = as_plan(Path(instruction))
    items = _with_progress(
        run_batch,
        source,
        steps,
        output,
        workers=workers,
        scheduler=scheduler,
        planner=planner,
        quality=quality,
        overwrite=overwrite,
    )
    failed = [item for item in items if item.error]
    if as_json:
        _echo_json([vars(item) for item in items])
    else:
        typer.echo(f"{len(items) - len(failed)} of {len(items)} images written to {output}")
        for item in failed:
            typer.echo(f"  failed: {item.error}", err=True)
    if failed:
        raise typer.Exit(2)


@app.command("ops")
def ops_command(as_json: JsonFlag = False) -> None:
    """List every operation with its amount range, params and description."""
    from retouch.ops.registry import all_specs

    specs = all_specs()
    if as_json:
        _echo_json(
            [
                {
                    "name": s.name,
                    "family": s.family,
                    "kind": s.kind,
                    "description": s.description,
                    "amount": None if s.amount is None else vars(s.amount),
                    "params": [
                        {k: v for k, v in vars(p).items() if v not in (None, (), "")} for p in s.params
                    ],
                    "examples": list(s.examples),
                }
                for s in specs
            ]
        )
        return
    family = None
    for s in specs:
        if s.family != family:
            family = s.family
            typer.echo(f"\n{family}")
        rng = (
            ""
            if s.amount is None
            else f"[{s.amount.minimum:g} .. {s.amount.maximum:g}, neutral {s.amount.neutral:g}]"
        )
        typer.echo(f"  {s.name:<16} {rng:<28} {s.description}")
        if s.params:
            typer.echo(f"  {'':<16} params: {', '.join(p.name for p in s.params)}")


@app.command("info")
def info_command(image: ImageArg, max_pixels: MaxPixels = 200_000_000, as_json: JsonFlag = False) -> None:
    """Show size, mode, bit depth, EXIF and measurements of IMAGE."""
    from retouch.analyze import measure
    from retouch.io import load_image
    from retouch.understand import exif_summary

    picture = load_image(_image_source(image), max_pixels=max_pixels)
    info = {
        "file": image,
        "width": picture.width,
        "height": picture.height,
        "megapixels": round(picture.megapixels, 2),
        "channels": picture.channels,
        "alpha": picture.has_alpha,
        "bit_depth": picture.bit_depth,
        "format": picture.format,
        "mode": picture.mode,
        "icc_profile": bool(picture.icc_profile),
        "exif": exif_summary(picture.exif),
        "measurements": measure(picture.pixels),
        "notes": picture.notes,
    }
    if as_json:
        _echo_json(info)
        return
    for key, value in info.items():
        if isinstance(value, dict):
            typer.echo(f"{key}:")
            for k, v in value.items():
                typer.echo(f"  {k:<16} {v}")
        elif isinstance(value, list):
            for item in value:
                typer.echo(f"note: {item}")
        else:
            typer.echo(f"{key:<18} {value}")


def _echo_plan(plan: Any) -> None:
    """Print a plan as numbered lines, each with the words it came from."""
    typer.echo("Plan:")
    for number, step in enumerate(plan.steps, start=1):
        source = f"   <- {step.source!r}" if step.source else ""
        confidence = f" ({step.confidence:.2f})" if step.confidence is not None else ""
        typer.echo(f"  {number}. {step.describe()}{source}{confidence}")


@app.command("plan")
def plan_command(
    instruction: Annotated[
        str | None, typer.Argument(help='What to do, e.g. "too dark, and blur the background".')
    ] = None,
    planner: Annotated[str, typer.Option("--planner", help="default (offline) or openai.")] = "default",
    as_json: JsonFlag = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the Plan's JSON schema (from the op registry).")
    ] = False,
    check: Annotated[
        Path | None, typer.Option("--check", help="Validate a plan file and print its steps.")
    ] = None,
) -> None:
    """Turn an instruction into a plan and print it (nothing runs); or print the schema, or check a file.

    Save the --json output to a file and run it with `retouch apply IMAGE plan.json -o OUT`.
    """
    from retouch.plans import Plan, plan_schema

    if schema:
        _echo_json(plan_schema())
    elif check is not None:
        for line in Plan.load(check).describe():
            typer.echo(line)
    elif instruction is not None:
        from retouch.planner import plan

        steps = plan(instruction, planner=planner)
        if as_json:
            _echo_json(steps.to_dict())
        else:
            _echo_plan(steps)
    else:
        raise InputError(
            'nothing to do: give an instruction (retouch plan "make it brighter"), --schema or --check'
        )


@app.command("edit")
def edit_command(
    image: ImageArg,
    instruction: Annotated[str, typer.Argument(help='What to do, e.g. "warm it up and sharpen a bit".')],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to write the result.")] = None,
    planner: Annotated[str, typer.Option("--planner", help="default (offline) or openai.")] = "default",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, run nothing.")] = False,
    mask: Annotated[
        Path | None, typer.Option("--mask", help="Mask image for steps whose region is 'mask'.")
    ] = None,
    quality: Quality = 92,
    report: ReportPath = None,
    max_pixels: MaxPixels = 200_000_000,
    as_json: JsonFlag = False,
) -> None:
    """Plan INSTRUCTION, show the plan, run it on IMAGE and write the result.

    Answers to questions ("how many faces?") are printed; the image is then
    written only if -o is given.
    """
    from retouch.api import edit
    from retouch.planner import plan

    steps = plan(instruction, planner=planner)
    if not as_json:
        _echo_plan(steps)
    if dry_run:
        if as_json:
            _echo_json(steps.to_dict())
        return
    if output is not None:
        _check_output(image, output, in_place=False, offers_in_place=False)
    from retouch.ops.registry import ANALYSIS, get_spec

    if output is None and not all(get_spec(s.op).kind == ANALYSIS for s in steps.steps):
        raise InputError("missing -o OUT: where should the edited image go?")
    result = _with_progress(edit, _image_source(image), steps, mask=mask, max_pixels=max_pixels)
    result.report["instruction"] = instruction
    answers = result.report.get("analysis", [])
    if output is None:
        _echo_json(answers) if as_json else _echo_answers(answers)
        return
    if not as_json:
        _echo_answers(answers)
    _write_result(result, output, quality=quality, in_place=False, report=report, as_json=as_json)


def _echo_answers(answers: list[dict[str, Any]]) -> None:
    for answer in answers:
        result = answer["result"]
        text = result.get("summary") or result.get("answer") if isinstance(result, dict) else None
        typer.echo(f"{answer['op']}: {text or json.dumps(result, ensure_ascii=False, default=str)}")


@app.command("mask")
def mask_command(
    image: ImageArg,
    region: Annotated[
        str, typer.Argument(help="Region name: faces, people, background, sky, shadows, color:red, ...")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the mask (grey PNG).")],
    overlay: Annotated[
        bool, typer.Option("--overlay", help="Write the image with the region tinted instead of the mask.")
    ] = False,
    max_pixels: MaxPixels = 200_000_000,
) -> None:
    """Write the soft mask that a region name selects in IMAGE (white = selected)."""
    import numpy as np

    from retouch.io import Picture, load_image, save_image
    from retouch.regions import region_mask

    _check_output(image, output, in_place=False, offers_in_place=False)
    picture = load_image(_image_source(image), max_pixels=max_pixels)
    mask = region_mask(picture, region)
    if overlay:
        from retouch.analyze import to_rgb_float

        # Selected pixels turn towards magenta, a colour seldom dominant in photos.
        weight = 0.55 * mask[..., None]
        tinted = to_rgb_float(picture.pixels) * (1 - weight) + np.float32([1.0, 0.0, 0.8]) * weight
        written = save_image(Picture(tinted.astype(np.float32), None), output)
    else:
        written = save_image(Picture(mask[..., None], None), output)
    typer.echo(f"Wrote {written}: '{region}' covers {100 * float(mask.mean()):.1f} % of the image")


@app.command("faces")
def faces_command(
    image: ImageArg,
    min_score: Annotated[
        float, typer.Option("--min-score", min=0.05, max=0.99, help="Drop faces less certain than this.")
    ] = 0.5,
    max_pixels: MaxPixels = 200_000_000,
    as_json: JsonFlag = False,
) -> None:
    """Find the faces in IMAGE and print their boxes and scores."""
    from retouch.faces import detect_faces
    from retouch.io import load_image

    faces = detect_faces(load_image(_image_source(image), max_pixels=max_pixels), min_score=min_score)
    if as_json:
        _echo_json({"faces": faces, "count": len(faces)})
        return
    typer.echo(f"{len(faces)} face{'' if len(faces) == 1 else 's'}")
    for number, face in enumerate(faces, 1):
        x, y, w, h = face["box"]
        typer.echo(f"  {number}. x={x} y={y} {w}x{h} px, score {face['score']:.2f}")


@app.command("describe")
def describe_command(
    image: ImageArg,
    question: Annotated[
        str | None, typer.Option("--question", "-q", help="A question to answer, e.g. 'is it blurry?'.")
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="Add a caption from a vision model: openai or transformers."),
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option("--model-dir", help="Captioning model folder (transformers backend).")
    ] = None,
    no_text: Annotated[bool, typer.Option("--no-text", help="Skip reading text (faster).")] = False,
    max_pixels: MaxPixels = 200_000_000,
    as_json: JsonFlag = False,
) -> None:
    """Describe IMAGE: content, faces, text, exposure, colour, noise, blur, quality, EXIF."""
    from retouch.io import load_image
    from retouch.understand import describe

    picture = load_image(_image_source(image), max_pixels=max_pixels)
    report = describe(picture, read=not no_text, backend=backend, question=question, model_dir=model_dir)
    if as_json:
        _echo_json(report)
        return
    if question:
        typer.echo(report["answer"])
        return
    typer.echo(report["summary"])


@app.command("ocr")
def ocr_command(image: ImageArg, max_pixels: MaxPixels = 200_000_000, as_json: JsonFlag = False) -> None:
    """Read the text in IMAGE, line by line (with boxes and confidence in --json)."""
    from retouch.io import load_image
    from retouch.reading import read_text

    lines = read_text(load_image(_image_source(image), max_pixels=max_pixels))
    if as_json:
        _echo_json({"lines": lines})
        return
    if not lines:
        typer.echo("(no text found)")
    for line in lines:
        typer.echo(line["text"])


@app.command("serve")
def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; other than loopback needs a token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    data: Annotated[
        Path | None, typer.Option("--data", help="Data directory (default ~/.local/share/retouch).")
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Require this token (Bearer header or ?token=).")
    ] = None,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.001, help="Upload size cap in MB.")
    ] = 50.0,
    max_pixels: Annotated[
        int, typer.Option("--max-pixels", min=1, help="Refuse images with more pixels than this.")
    ] = 50_000_000,
) -> None:
    """Serve the web page and HTTP API (FastAPI + uvicorn; API docs at /docs)."""
    from retouch.server.launch import serve

    upload_bytes = int(max_upload_mb * 1e6)
    serve(host, port, data, token, max_upload_bytes=upload_bytes, max_pixels=max_pixels, echo=typer.echo)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes.

    Usage errors are reported by Typer itself (exit 2); errors raised on
    purpose carry their own exit code.
    """
    try:
        app(args=argv, prog_name="retouch")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except RetouchError as exc:
        typer.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:
        if os.environ.get("RETOUCH_DEBUG"):
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (set RETOUCH_DEBUG=1 for details)", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
