// A chart's SVG saved as a file: the SVG itself, or a PNG drawn from it at twice its size, on white.

import { downloadBlob } from './download';

/** The SVG as a standalone file: the page's colours and font written in, since the file has no stylesheet. */
function svgText(svg: SVGSVGElement, w: number, h: number): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(w * 2));
  clone.setAttribute('height', String(h * 2));
  clone.style.color = '#1b1f27';
  clone.style.background = '#ffffff';
  clone.style.fontFamily = 'sans-serif';
  return new XMLSerializer().serializeToString(clone);
}

export function exportSvg(svg: SVGSVGElement, w: number, h: number, name: string): void {
  downloadBlob(new Blob([svgText(svg, w, h)], { type: 'image/svg+xml' }), `${name}.svg`);
}

export function exportPng(svg: SVGSVGElement, w: number, h: number, name: string): void {
  const img = new Image();
  const url = URL.createObjectURL(new Blob([svgText(svg, w, h)], { type: 'image/svg+xml' }));
  img.onload = () => {
    const c = document.createElement('canvas');
    c.width = w * 2;
    c.height = h * 2;
    const g = c.getContext('2d')!;
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, c.width, c.height);
    g.drawImage(img, 0, 0, c.width, c.height);
    URL.revokeObjectURL(url);
    c.toBlob((b) => b && downloadBlob(b, `${name}.png`));
  };
  img.src = url;
}
