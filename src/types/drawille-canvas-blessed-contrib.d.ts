// blessed-contrib's string-rendering canvas ships no types: the part of its 2D context the line chart uses.
declare module 'drawille-canvas-blessed-contrib' {
  class Context {
    constructor(width: number, height: number);
    strokeStyle: string;
    beginPath(): void;
    moveTo(x: number, y: number): void;
    lineTo(x: number, y: number): void;
    stroke(): void;
    _canvas: { frame(delimiter?: string): string };
  }
  export = Context;
}
