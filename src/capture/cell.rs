//! One feature, label or prediction value of a captured record, in 24 bytes (a JSON value is
//! 72): a million-record window holds tens of millions of them.

use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Serialised as JSON values in a partial state (`capture::reduce`): a float that is not
/// finite cannot be one, and never comes out of a payload (pandas' NA spellings are `Null`,
/// `1e400` stays text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, or a nested JSON value in its JSON text.
    /// Inline up to 24 bytes (most cells): a window's tens of millions of cells are not
    /// tens of millions of allocations.
    Text(compact_str::CompactString),
}

impl From<Value> for Cell {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Self::Int(i),
                None => n.as_f64().map_or(Self::Null, Self::Float),
            },
            Value::String(s) => Self::Text(s.into()),
            other => Self::Text(other.to_string().into()),
        }
    }
}

impl From<Cell> for Value {
    fn from(c: Cell) -> Self {
        match c {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Int(i) => Value::from(i),
            Cell::Float(x) => Value::from(x),
            Cell::Text(s) => Value::String(s.into_string()),
        }
    }
}

/// A row of cells as a hash key: floats compare by their bits, so equal keys are the same
/// values, spelled the same (2 and 2.0 differ: [`crate::capture::frame`] decides what they
/// become, from every value of the column).
#[derive(Debug, Clone)]
pub struct RowKey(pub Box<[Cell]>);

impl PartialEq for RowKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(other.0.iter()).all(|(a, b)| same(a, b))
    }
}

impl Eq for RowKey {}

impl Hash for RowKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_usize(self.0.len());
        for c in self.0.iter() {
            hash_cell(c, h);
        }
    }
}

/// One cell as a hash key, with [`RowKey`]'s equality: a lookup by a single value (a label)
/// needs no row allocated for it.
#[derive(Debug, Clone)]
pub struct CellKey(pub Cell);

impl PartialEq for CellKey {
    fn eq(&self, other: &Self) -> bool {
        same(&self.0, &other.0)
    }
}

impl Eq for CellKey {}

impl Hash for CellKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        hash_cell(&self.0, h);
    }
}

/// Hashes what [`same`] compares: the kind, then the value (floats by bits).
fn hash_cell<H: Hasher>(c: &Cell, h: &mut H) {
    match c {
        Cell::Null => h.write_u8(0),
        Cell::Bool(b) => {
            h.write_u8(1);
            b.hash(h)
        }
        Cell::Int(i) => {
            h.write_u8(2);
            i.hash(h)
        }
        Cell::Float(x) => {
            h.write_u8(3);
            x.to_bits().hash(h)
        }
        Cell::Text(s) => {
            h.write_u8(4);
            s.hash(h)
        }
    }
}

/// The same value, spelled the same (floats by bits).
pub fn same(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Float(x), Cell::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Windows hold millions of cells: text inline must not make a cell bigger than a
    /// boxed string made it.
    #[test]
    fn a_cell_is_three_words() {
        assert_eq!(std::mem::size_of::<Cell>(), 24);
    }

    #[test]
    fn is_small_and_round_trips() {
        assert!(std::mem::size_of::<Cell>() <= 24);
        for v in [json!(null), json!(true), json!(3), json!(2.5), json!("x")] {
            assert_eq!(Value::from(Cell::from(v.clone())), v);
        }
        assert_eq!(Cell::from(json!([1])), Cell::Text("[1]".into()));
    }

    #[test]
    fn row_keys_tell_spellings_apart_and_serialise_as_json_values() {
        let k = |c: Vec<Cell>| RowKey(c.into_boxed_slice());
        assert_eq!(k(vec![Cell::Float(0.5)]), k(vec![Cell::Float(0.5)]));
        assert_ne!(k(vec![Cell::Float(2.0)]), k(vec![Cell::Int(2)]));
        assert_ne!(k(vec![Cell::Float(0.0)]), k(vec![Cell::Float(-0.0)]));
        let cells = vec![
            Cell::Null,
            Cell::Bool(true),
            Cell::Int(-3),
            Cell::Float(2.0),
            Cell::Float(0.1),
            Cell::Text("a".into()),
        ];
        let text = serde_json::to_string(&cells).unwrap();
        assert_eq!(text, r#"[null,true,-3,2.0,0.1,"a"]"#);
        let back: Vec<Cell> = serde_json::from_str(&text).unwrap();
        assert_eq!(k(back), k(cells));
    }
}
