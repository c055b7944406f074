"""Regenerate the README's images from a default run: `python tools/docs_images.py`. Each is a
figure of results/plots/ scaled to a fixed width and 256 colours; the same run, the same bytes."""

from pathlib import Path

from PIL import Image

# README image -> (the figure it shows, width in pixels)
IMAGES = {
    "lab_ecdf.png": ("results/plots/lab/sincos/ecdf.png", 600),
    "lab_best_paths.png": ("results/plots/lab/himmelblau/paths.png", 960),  # six panels
    "surface_paths.png": ("results/plots/surface_trajectories.png", 480),
    "linear_fit.png": ("results/plots/linear_fit.png", 480),
}


def main(out: Path = Path("docs/images")) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, (figure, width) in IMAGES.items():
        if not Path(figure).exists():
            raise SystemExit(f"{figure} is missing: run the pipeline first (snakemake --cores all)")
        with Image.open(figure) as image:
            height = round(image.height * width / image.width)
            small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
        # 256 colours, no dithering: a third of the size; octree keeps the small line colours
        small = small.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        small.save(out / name, optimize=True)
        print(f"{out / name}: {figure} at {width}x{height}")


if __name__ == "__main__":
    main()
