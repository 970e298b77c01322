"use client";
// React 19's form with useActionState: with JavaScript off the browser posts it and
// Next.js answers the POST with the page, rendered with the action's new state.
import { useActionState } from "react";
import { updateName } from "./actions";

export default function UpdateName({ initial }) {
  const [state, action, pending] = useActionState(updateName, { error: null, name: initial });
  return (
    <form action={action} id="next-name">
      <label htmlFor="name">Name</label>
      <input id="name" name="name" defaultValue={state.name} />
      <button type="submit" disabled={pending}>Save</button>
      {state.error && <p role="alert">{state.error}</p>}
      <p>Saved: <output className="saved-name">{state.name}</output></p>
    </form>
  );
}
