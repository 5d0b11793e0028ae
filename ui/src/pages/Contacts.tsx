export function Contacts(_props: { id?: string; query?: URLSearchParams }) {
  return <p>todo</p>;
}
