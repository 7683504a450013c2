// Classifies raw RGB pictures with nsfwjs itself, as the console's equivalence tests compare against.
// Usage: node nsfwjs-classify.js MODEL LIST.json   (MODEL: MobileNetV2 or InceptionV3)
// LIST.json: [{ "file": "a.rgb", "width": 300, "height": 200 }, ...], each file width × height × 3 bytes, row by row.
// Prints one JSON line per picture: { "file", "classes": { "Drawing": p, ... } }, every class's probability, then
// { "timing": { "images", "seconds" } }: the time classify took for all of them, the model already loaded and warm.
const fs = require('fs');
// TensorFlow.js and nsfwjs greet on the console; standard output carries only the results.
console.log = console.info = console.warn = (...args) => process.stderr.write(args.join(' ') + '\n');
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');

(async () => {
  const [modelName, listFile] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const model = await nsfwjs.load(modelName, modelName === 'InceptionV3' ? { size: 299 } : undefined);
  const pictures = JSON.parse(fs.readFileSync(listFile, 'utf8'));
  let seconds = 0;
  for (const picture of pictures) {
    const bytes = fs.readFileSync(picture.file);
    const image = tf.tensor3d(new Int32Array(bytes), [picture.height, picture.width, 3], 'int32');
    const started = process.hrtime.bigint();
    const predictions = await model.classify(image, 5);
    seconds += Number(process.hrtime.bigint() - started) / 1e9;
    image.dispose();
    const classes = {};
    for (const p of predictions) classes[p.className] = p.probability;
    process.stdout.write(JSON.stringify({ file: picture.file, classes }) + '\n');
  }
  process.stdout.write(JSON.stringify({ timing: { images: pictures.length, seconds } }) + '\n');
})().catch(error => { console.error(error); process.exit(1); });
