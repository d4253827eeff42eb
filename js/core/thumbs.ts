// A paged grid of thumbnails, shared by the image and detection views.
import { h } from "./dom";
import { imageUrl, type WireImage } from "./images";

export interface ThumbGridOptions {
  /** What is drawn over thumbnail i (e.g. the detection view's boxes), in a frame the size of the image. */
  overlay?: (i: number) => Element | null;
  /** The thumbnail's tooltip (default: its caption). */
  title?: (i: number) => string;
  pageSize?: number;
}

/** A paged grid of thumbnails: `items` are image indices; `caption(i)` text under each; onPick(i).
 *  `set` redraws the page shown, so captions and overlays follow whatever they are computed from. */
export function thumbGrid(
  title: string,
  thumbs: WireImage[],
  caption: (i: number) => string,
  onPick: (i: number) => void,
  options: ThumbGridOptions = {},
): { el: HTMLElement; set(items: number[], selected: number | null): void } {
  const pageSize = options.pageSize ?? 40;
  const head = h("div", { cls: "rw-grid-head" });
  const grid = h("div", { cls: "rw-thumb-grid" });
  const prev = h("button", { text: "‹ prev", attrs: { type: "button" } });
  const next = h("button", { text: "next ›", attrs: { type: "button" } });
  const pageInfo = h("span", { cls: "rw-muted" });
  const pager = h("span", { cls: "rw-pager" }, [prev, pageInfo, next]);
  const el = h("section", { cls: "rw-grid-section" }, [h("div", { cls: "rw-toolbar" }, [head, pager]), grid]);
  let items: number[] = [];
  let selected: number | null = null;
  let page = 0;
  const draw = () => {
    const pages = Math.max(1, Math.ceil(items.length / pageSize));
    page = Math.min(page, pages - 1);
    head.textContent = `${title} (${items.length})`;
    pageInfo.textContent = `page ${page + 1} of ${pages}`;
    pager.hidden = pages <= 1;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    grid.replaceChildren();
    for (const i of items.slice(page * pageSize, (page + 1) * pageSize)) {
      const img = h("img", { attrs: { alt: "", loading: "lazy", src: imageUrl(thumbs[i]) } });
      const drawn = options.overlay?.(i) ?? null;
      const picture = drawn ? h("span", { cls: "rw-thumb-frame" }, [img, drawn]) : img;
      const text = caption(i);
      const cap = h("span", { cls: "rw-thumb-caption", text });
      const b = h(
        "button",
        { cls: "rw-thumb", testid: "image-thumb", title: options.title?.(i) ?? text, attrs: { type: "button", "data-index": String(i) } },
        [picture, cap],
      );
      b.classList.toggle("rw-selected", i === selected);
      b.addEventListener("click", () => onPick(i));
      grid.appendChild(b);
    }
    el.hidden = items.length === 0;
  };
  prev.addEventListener("click", () => {
    page--;
    draw();
  });
  next.addEventListener("click", () => {
    page++;
    draw();
  });
  return {
    el,
    set(newItems, sel) {
      const newList = newItems.join() !== items.join();
      if (newList) page = 0;
      // a redraw for another reason (e.g. a threshold) stays on the page the user turned to
      const moved = newList || sel !== selected;
      items = newItems;
      selected = sel;
      if (moved && sel !== null && items.includes(sel)) page = Math.floor(items.indexOf(sel) / pageSize);
      draw();
    },
  };
}
