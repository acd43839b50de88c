//! How the extractions read images and masks: the DICOM frame, the lesion's
//! label value and the RoiSet entry (flags shared by `extract handcrafted`,
//! `extract deep` and the stages that extract on the way).

use dlrn_cohort::{ImageOptions, MaskOptions};
use dlrn_study::extraction::Reading;

/// Flags that say how to read images and masks (recorded in the
/// extractions' provenance as `{"frame", "mask_label", "roi"}`).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, clap::Args, serde::Serialize, serde::Deserialize,
)]
pub struct InputArgs {
    /// Frame of multi-frame DICOM images, and slice of 3-D NIfTI masks (1-based).
    ///
    /// Without it a multi-frame image uses frame 1 (with a warning) and a 3-D
    /// NIfTI mask the one slice that holds lesion voxels.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub frame: Option<u32>,
    /// The lesion's value in raster (PNG/TIFF/BMP) and NIfTI label masks.
    ///
    /// Default: the mask's single non-zero value. A mask with several non-zero
    /// values needs this flag; values that look like lossy compression (a mask
    /// saved as JPEG) are refused either way.
    #[arg(long, value_name = "VALUE")]
    pub mask_label: Option<u64>,
    /// The ROI to use from ImageJ RoiSet .zip masks (entry name without .roi,
    /// or the ROI's own name); default: the zip's only ROI.
    #[arg(long, value_name = "NAME")]
    pub roi: Option<String>,
}

impl InputArgs {
    /// The reading the extraction loops take (dlrn-study's, recorded as these flags).
    pub fn reading(&self) -> Reading {
        Reading {
            frame: self.frame,
            mask_label: self.mask_label,
            roi: self.roi.clone(),
        }
    }

    /// The image-reading options.
    pub fn image_options(&self) -> ImageOptions {
        self.reading().image_options()
    }

    /// The mask-reading options.
    pub fn mask_options(&self) -> MaskOptions {
        self.reading().mask_options()
    }
}
