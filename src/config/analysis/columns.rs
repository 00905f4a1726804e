//! Which columns the bias engine reads, so a reader can leave every other column out (a
//! dataset's or a captured record's): all but FT of the bias metrics look at the label,
//! the predictions, the facets and the group variable only.

use super::{AnalysisConfig, ColumnRef, POST_TRAINING_METRICS};

impl ColumnRef {
    /// The name this reference resolves to among `names` (a frame's columns, in order).
    pub fn resolve_in<'a>(&self, names: &'a [String]) -> Option<&'a String> {
        match self {
            Self::Name(n) => names.iter().find(|c| *c == n),
            Self::Index(i) => names.get(*i),
        }
    }
}

impl AnalysisConfig {
    /// Whether the post-training stage asks for the flip test, the one bias metric that
    /// reads every feature.
    pub fn requests_ft(&self) -> bool {
        self.methods
            .as_ref()
            .and_then(|m| m.post_training_bias.as_ref())
            .is_some_and(|m| m.names(&POST_TRAINING_METRICS).contains(&"FT"))
    }

    /// The references the engine resolves besides the label and the predictions: facets,
    /// the group variable, and the columns it must find to leave out (excluded columns,
    /// the join source).
    pub fn feature_refs(&self) -> impl Iterator<Item = &ColumnRef> {
        self.facets
            .iter()
            .map(|f| &f.column)
            .chain(self.group_variable.iter())
            .chain(self.excluded_columns.iter())
            .chain(self.joinsource.iter())
            .chain(self.segment_config.iter().map(|s| &s.column))
    }

    /// Every reference the bias engine resolves.
    pub fn bias_refs(&self) -> impl Iterator<Item = &ColumnRef> {
        self.label
            .iter()
            .chain(self.predicted_label.iter())
            .chain(self.feature_refs())
    }

    /// References by position renamed after the column they name among `names`: positions
    /// change when a reader leaves columns out, names do not. A position past the end stays
    /// as it is (the engine reports it).
    pub fn name_positions(&mut self, names: &[String]) {
        let name = |r: &mut ColumnRef| {
            if let ColumnRef::Index(i) = r
                && let Some(n) = names.get(*i)
            {
                *r = ColumnRef::Name(n.clone());
            }
        };
        self.label.iter_mut().for_each(name);
        self.predicted_label.iter_mut().for_each(name);
        self.facets.iter_mut().for_each(|f| name(&mut f.column));
        self.group_variable.iter_mut().for_each(name);
        self.excluded_columns.iter_mut().for_each(name);
        self.joinsource.iter_mut().for_each(name);
        self.segment_config
            .iter_mut()
            .for_each(|s| name(&mut s.column));
    }

    /// For a dataset whose columns are `names`: the positions (ascending) of the columns the
    /// bias engine reads, and this config with positions renamed so that it reads the same
    /// columns from a frame that holds only those. `None` when FT is requested (it reads
    /// every feature) or a reference does not resolve: the engine then sees every column and
    /// reports the mistake (with the columns there are) as it would without projection.
    pub fn bias_projection(&self, names: &[String]) -> Option<(Vec<usize>, AnalysisConfig)> {
        if self.requests_ft() {
            return None;
        }
        let mut kept = Vec::new();
        for r in self.bias_refs() {
            let name = r.resolve_in(names)?;
            let p = names.iter().position(|c| c == name)?;
            if !kept.contains(&p) {
                kept.push(p);
            }
        }
        kept.sort_unstable();
        let mut cfg = self.clone();
        cfg.name_positions(names);
        Some((kept, cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FacetConfig, Methods, MetricSelection};
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn config() -> AnalysisConfig {
        AnalysisConfig {
            label: Some(ColumnRef::Index(3)),
            predicted_label: Some(ColumnRef::Name("score".into())),
            facets: vec![FacetConfig {
                column: ColumnRef::Index(0),
                values: None,
            }],
            group_variable: Some(ColumnRef::Name("group".into())),
            ..AnalysisConfig::default()
        }
    }

    #[test]
    fn the_projection_keeps_what_the_engine_reads_and_names_positions() {
        let cols = names(&["sex", "group", "age", "y", "score"]);
        let (kept, cfg) = config().bias_projection(&cols).unwrap();
        assert_eq!(kept, vec![0, 1, 3, 4]);
        assert_eq!(cfg.label, Some(ColumnRef::Name("y".into())));
        assert_eq!(cfg.facets[0].column, ColumnRef::Name("sex".into()));
    }

    #[test]
    fn no_projection_with_ft_or_an_unresolved_reference() {
        let cols = names(&["sex", "group", "age", "y", "score"]);
        let mut ft = config();
        ft.methods = Some(Methods {
            post_training_bias: Some(MetricSelection::All),
            ..Methods::default()
        });
        assert!(ft.bias_projection(&cols).is_none());
        let mut missing = config();
        missing.excluded_columns = vec![ColumnRef::Name("nope".into())];
        assert!(missing.bias_projection(&cols).is_none());
        let mut past_end = config();
        past_end.label = Some(ColumnRef::Index(9));
        assert!(past_end.bias_projection(&cols).is_none());
    }
}
