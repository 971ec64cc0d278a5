"""Tables for `predict` and `evaluate`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def render_predictions(console: Console, results: list[dict[str, Any]]) -> None:
    for result in results:
        if "error" in result:
            continue
        faces = result["faces"]
        if not faces:
            console.print(f"{result['image']}: no face found")
            continue
        table = Table(title=f"{result['image']}: {len(faces)} face{'s' if len(faces) > 1 else ''}",
                      title_justify="left")
        for column in ("#", "box (x, y, w, h)", "emotion", "confidence", "others"):
            table.add_column(column)
        for index, face in enumerate(faces, 1):
            box = face["box"]
            others = sorted(((p, name) for name, p in face["probabilities"].items() if name != face["emotion"]),
                            reverse=True)
            table.add_row(str(index), f"{box['x']}, {box['y']}, {box['width']}, {box['height']}", face["emotion"],
                          f"{face['confidence']:.0%}", ", ".join(f"{name} {p:.0%}" for p, name in others[:2]))
        console.print(table)


def render_evaluation(console: Console, report: dict[str, Any]) -> None:
    console.print(f"[bold]accuracy {report['accuracy']:.4f}[/]  macro-F1 {report['macro_f1']:.4f}  "
                  f"n {report['n']}  no face {report['no_face']}  unreadable {report['unreadable']}  "
                  f"(split {report['split']}, "
                  + (f"detector {report['detector']}, " if report.get("detector") else "aligned crops, ")
                  + f"tta {'on' if report['tta'] else 'off'}, weights {report['weights']}"
                  + (f", {report['head']} head" if report.get("head", "product") != "product" else "") + ")")
    table = Table(title="per class", title_justify="left")
    for column in ("class", "precision", "recall", "F1", "ROC-AUC", "support"):
        table.add_column(column, justify="right" if column != "class" else "left")
    for name, row in report["per_class"].items():
        auc = "-" if row["roc_auc"] is None else f"{row['roc_auc']:.3f}"
        table.add_row(name, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", auc,
                      str(row["support"]))
    console.print(table)
    matrix = Table(title="confusion matrix (rows: true, columns: predicted)", title_justify="left")
    matrix.add_column("")
    for name in report["classes"]:
        matrix.add_column(name[:4], justify="right")
    for name, row in zip(report["classes"], report["confusion_matrix"], strict=True):
        matrix.add_row(name, *(str(v) for v in row))
    console.print(matrix)
