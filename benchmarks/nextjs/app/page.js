import UpdateName from "./form";
import { getStore } from "./store";

export const dynamic = "force-dynamic";

export default function Page() {
  return (
    <main>
      <h1>Your name</h1>
      <UpdateName initial={getStore().name} />
    </main>
  );
}
