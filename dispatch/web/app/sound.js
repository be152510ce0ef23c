// Getting a person's attention for a new job: a short beep (WebAudio) and a vibration, where
// the phone allows them. Browsers start audio only after a tap on the page, so the first tap
// anywhere unlocks it.

const BEEP_HZ = 880;
const BEEP_GAIN = 0.25;
const BEEP_S = 0.18;
const BEEP_GAP_S = 0.12;
const BEEPS = 3;
const VIBRATION_MS = [200, 100, 200, 100, 400];

let context = null;

function audio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  if (!context) context = new Context();
  return context;
}

/** Call once at start: the first tap or key on the page unlocks the sound. */
export function unlockSoundOnFirstTap() {
  const unlock = () => {
    const ctx = audio();
    if (ctx && ctx.state === "suspended") ctx.resume().catch(() => {});
    window.removeEventListener("pointerdown", unlock, true);
    window.removeEventListener("keydown", unlock, true);
  };
  window.addEventListener("pointerdown", unlock, true);
  window.addEventListener("keydown", unlock, true);
}

/** Beep and vibrate (each silently skipped where not allowed). */
export function alertPerson() {
  try {
    if (navigator.vibrate) navigator.vibrate(VIBRATION_MS);
  } catch {
    // not allowed without a tap on some browsers
  }
  const ctx = audio();
  if (!ctx || ctx.state !== "running") return;
  const start = ctx.currentTime;
  for (let i = 0; i < BEEPS; i += 1) {
    const at = start + i * (BEEP_S + BEEP_GAP_S);
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = BEEP_HZ;
    gain.gain.setValueAtTime(BEEP_GAIN, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + BEEP_S);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + BEEP_S);
  }
}
