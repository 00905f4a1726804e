//! The keys an analysis config may have, as Clarify documents them.

pub(super) const TOP_KEYS: &[&str] = &[
    "version",
    "dataset_type",
    "dataset_uri",
    "headers",
    "label",
    "predicted_label",
    "features",
    "label_values_or_threshold",
    "probability_threshold",
    "segment_config",
    "facet",
    "facet_dataset_uri",
    "facet_headers",
    "predicted_label_dataset_uri",
    "predicted_label_headers",
    "excluded_columns",
    "joinsource_name_or_index",
    "group_variable",
    "methods",
    "predictor",
    "driftwatch",
];
pub(super) const UNSUPPORTED_TOP_KEYS: &[&str] = &[];
pub(super) const SEGMENT_KEYS: &[&str] = &[
    "name_or_index",
    "segments",
    "config_name",
    "display_aliases",
];
pub(super) const METHOD_KEYS: &[&str] = &[
    "shap",
    "pre_training_bias",
    "post_training_bias",
    "pdp",
    "report",
];
pub(super) const PDP_KEYS: &[&str] = &["grid_resolution", "features", "top_k_features"];
pub(super) const SHAP_KEYS: &[&str] = &[
    "baseline",
    "num_clusters",
    "use_logit",
    "num_samples",
    "agg_method",
    "save_local_shap_values",
    "text_config",
    "image_config",
    "seed",
    "features_to_explain",
];
pub(super) const PREDICTOR_KEYS: &[&str] = &[
    "endpoint_name",
    "endpoint_name_prefix",
    "model_name",
    "target_model",
    "instance_type",
    "initial_instance_count",
    "accelerator_type",
    "content_type",
    "accept_type",
    "label",
    "probability",
    "label_headers",
    "content_template",
    "record_template",
    "custom_attributes",
];
pub(super) const EXTENSION_KEYS: &[&str] = &[
    "label_type",
    "facet_types",
    "model",
    "ndcg_threshold",
    "max_endpoint_requests",
    "shap_max_records",
    "shap_algorithm",
];
pub(super) const CONTENT_TYPES: &[&str] =
    &["text/csv", "application/jsonlines", "application/json"];
