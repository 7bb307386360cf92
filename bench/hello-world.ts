/**
 * The baseline of bench/replies.ts: Express with nothing but a GET and a form POST (the shape of a
 * survey reply), run as its own process on PORT so it is measured like a web process.
 */
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.send('ok');
});
app.post('/', express.urlencoded({ extended: false }), (req, res) => {
  res.send((req.body as Record<string, string>).nps === undefined ? 'no score' : 'ok');
});
app.listen(Number(process.env.PORT));
