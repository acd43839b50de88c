"""Times PyRadiomics' first-order + GLCM + 2D shape features on BUS01 (issue 5
benchmark comparison; not an oracle: PyRadiomics' definitions differ from
BUSAT's).

Made with: Python 3.11.7, pyradiomics 3.0.1, SimpleITK 2.5.7, numpy 2.4.6,
Pillow. Call:  python benches/pyradiomics_timing.py [repeats]
from crates/radiomics. Prints the mean seconds per image of `execute` on the
whole image and mask (PyRadiomics crops to the mask's box itself).
"""

import sys
import time
import logging

import numpy as np
import SimpleITK as sitk
from PIL import Image
from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.ERROR)

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
img = np.asarray(Image.open("tests/fixtures/BUS01.png").convert("L"), dtype=np.float64)
mask = (np.asarray(Image.open("tests/fixtures/BUS01_mask.png")) != 0).astype(np.uint8)
image = sitk.GetImageFromArray(img[np.newaxis])
label = sitk.GetImageFromArray(mask[np.newaxis])

ext = featureextractor.RadiomicsFeatureExtractor(force2D=True, force2Ddimension=0)
ext.disableAllFeatures()
ext.enableFeatureClassByName("firstorder")
ext.enableFeatureClassByName("glcm")
ext.enableFeatureClassByName("shape2D")

out = ext.execute(image, label)  # warm-up
n = sum(1 for k in out if not k.startswith("diagnostics"))
t0 = time.perf_counter()
for _ in range(repeats):
    ext.execute(image, label)
dt = (time.perf_counter() - t0) / repeats
print(f"pyradiomics firstorder+glcm+shape2D: {n} features, {dt * 1e3:.2f} ms per image ({repeats} runs)")
