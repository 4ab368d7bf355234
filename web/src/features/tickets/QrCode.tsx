import { toDataURL } from 'qrcode';
import { useEffect, useState } from 'react';

/** A ticket's code as a QR image, drawn in the browser. */
export function QrCode({ value, label }: { value: string; label: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    toDataURL(value, { margin: 1, width: 192, errorCorrectionLevel: 'M' }).then((url) => live && setSrc(url), () => undefined);
    return () => {
      live = false;
    };
  }, [value]);
  return src ? <img className="qr" src={src} alt={label} width={144} height={144} /> : <div className="qr placeholder" aria-hidden="true" />;
}
