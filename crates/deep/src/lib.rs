//! dlrn-deep: ResNet50 (torchvision topology) in Burn; preprocessing, weight
//! import, fine-tuning and the 2048 global-average-pool deep features.
